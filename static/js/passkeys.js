// Passkeys as a second factor (WebAuthn). No inline script anywhere (CSP): buttons carry
// data-passkey-register / data-passkey-login with the URLs they talk to.
(function () {
  "use strict";

  function csrfToken() {
    try {
      var headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      return headers["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function toBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) {
          var message = (data && data.error && data.error.message) || "Something went wrong.";
          throw new Error(message);
        }
        return data;
      });
    });
  }

  function showError(button, message) {
    var box = button.closest("section").querySelector("[data-passkey-error]");
    if (box) {
      box.textContent = message;
      box.hidden = false;
    }
    button.disabled = false;
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: toBytes(item.id), transports: item.transports };
    });
  }

  function register(button) {
    var nameInput = document.querySelector("[data-passkey-name]");
    post(button.dataset.optionsUrl).then(function (options) {
      var publicKey = Object.assign({}, options, {
        challenge: toBytes(options.challenge),
        user: Object.assign({}, options.user, { id: toBytes(options.user.id) }),
        excludeCredentials: descriptors(options.excludeCredentials)
      });
      return navigator.credentials.create({ publicKey: publicKey });
    }).then(function (credential) {
      return post(button.dataset.registerUrl, {
        name: nameInput ? nameInput.value : "",
        credential: {
          id: credential.id,
          rawId: toBase64url(credential.rawId),
          type: credential.type,
          response: {
            clientDataJSON: toBase64url(credential.response.clientDataJSON),
            attestationObject: toBase64url(credential.response.attestationObject),
            transports: credential.response.getTransports ? credential.response.getTransports() : []
          },
          clientExtensionResults: credential.getClientExtensionResults()
        }
      });
    }).then(function (data) {
      window.location.assign(data.redirect);
    }).catch(function (error) {
      showError(button, error.message || String(error));
    });
  }

  function logIn(button) {
    post(button.dataset.optionsUrl).then(function (options) {
      var publicKey = Object.assign({}, options, {
        challenge: toBytes(options.challenge),
        allowCredentials: descriptors(options.allowCredentials)
      });
      return navigator.credentials.get({ publicKey: publicKey });
    }).then(function (credential) {
      return post(button.dataset.verifyUrl, {
        credential: {
          id: credential.id,
          rawId: toBase64url(credential.rawId),
          type: credential.type,
          response: {
            clientDataJSON: toBase64url(credential.response.clientDataJSON),
            authenticatorData: toBase64url(credential.response.authenticatorData),
            signature: toBase64url(credential.response.signature),
            userHandle: credential.response.userHandle ? toBase64url(credential.response.userHandle) : null
          },
          clientExtensionResults: credential.getClientExtensionResults()
        }
      });
    }).then(function (data) {
      window.location.assign(data.redirect);
    }).catch(function (error) {
      showError(button, error.message || String(error));
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-passkey-register], [data-passkey-login]");
    if (!button) return;
    if (!window.PublicKeyCredential) {
      showError(button, "This browser does not support passkeys.");
      return;
    }
    button.disabled = true;
    if (button.hasAttribute("data-passkey-register")) register(button);
    else logIn(button);
  });
})();
