"""The import contracts of .importlinter cover every app and every views module, so a new app
or a new views module is checked from the day it is added (docs/development.md)."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIEW_MODULE = re.compile(r"^(views|views_\w+|\w+_views|api|api_(?!urls)\w+)$")
NOT_APPS = {"tests", "bench", "cli", "docs", "editors", "static", "templates"}


def contracts() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter")
    return parser


def listed(value: str) -> set[str]:
    return {line.strip() for line in value.splitlines() if line.strip()}


def apps() -> set[str]:
    return {path.parent.name for path in ROOT.glob("*/apps.py") if path.parent.name not in NOT_APPS}


def view_modules(app: str) -> set[str]:
    """An app's outermost views and API modules (a views package counts once)."""
    found = set()
    for path in (ROOT / app).rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if app == "alignment" and len(parts) == 2 and parts[1].startswith("api_"):
            continue  # alignment's api_* modules are the shared API toolkit, not views
        for depth in range(1, len(parts)):
            package = ROOT.joinpath(*parts[: depth + 1]).is_dir()
            if package and parts[depth] not in ("views", "api"):
                continue  # a feature package such as tasks.saved_views holds views and more
            if VIEW_MODULE.match(parts[depth]):
                found.add(".".join(parts[: depth + 1]))
                break
    return found


def test_every_app_is_a_root_package_and_a_layer() -> None:
    config = contracts()
    roots = listed(config["importlinter"]["root_packages"])
    layered = set(re.split(r"[\s|:]+", config["importlinter:contract:layers"]["layers"])) - {""}
    assert apps() <= roots
    assert apps() <= layered


def test_every_views_module_is_in_its_apps_views_contract() -> None:
    config = contracts()
    missing = []
    for app in sorted(apps()):
        modules = view_modules(app)
        if not modules:
            continue
        section = f"importlinter:contract:views-{app}"
        covered = listed(config[section]["source_modules"]) if section in config else set()
        missing += [m for m in modules if not any(m == c or m.startswith(c + ".") for c in covered)]
    assert missing == [], f"add these views modules to .importlinter: {sorted(missing)}"


# Model signals are for housekeeping that must hear of every write (admin, cascades, ORM),
# never for domain behaviour: each one left is listed, with its reason, in docs/development.md
# ("Signals kept, and why"). A new receiver fails here until it is justified there.
JUSTIFIED_SIGNALS = {
    ("post_save", "alignment.ApiToken", "alignment.api_auth_cache._on_token"),
    ("post_delete", "alignment.ApiToken", "alignment.api_auth_cache._on_token"),
    ("post_save", "alignment.User", "alignment.api_auth_cache._on_user"),
    ("post_delete", "alignment.User", "alignment.api_auth_cache._on_user"),
    ("post_save", "alignment.Workspace", "alignment.api_auth_cache._on_workspace"),
    ("post_delete", "alignment.Workspace", "alignment.api_auth_cache._on_workspace"),
    ("post_save", "alignment.Membership", "alignment.api_auth_cache._on_membership"),
    ("post_delete", "alignment.Membership", "alignment.api_auth_cache._on_membership"),
    (
        "post_save",
        "integrations.WebhookSubscription",
        "integrations.webhooks.on_subscription_saved_or_deleted",
    ),
    (
        "post_delete",
        "integrations.WebhookSubscription",
        "integrations.webhooks.on_subscription_saved_or_deleted",
    ),
    ("pre_delete", "tasks.Task", "dashboards.subscribers.on_task_deleted"),
    ("post_delete", "attachments.Attachment", "attachments.subscribers._row_deleted"),
}


def test_every_model_signal_receiver_of_ours_is_justified_in_the_docs() -> None:
    from django.apps import apps as registry
    from django.db.models import signals

    ours = apps()
    connected = set()
    for name in ("pre_init", "post_init", "pre_save", "post_save", "pre_delete", "post_delete"):
        signal = getattr(signals, name)
        for model in registry.get_models():
            sync, asynchronous = signal._live_receivers(model)
            for receiver in [*sync, *asynchronous]:
                module = getattr(receiver, "__module__", "")
                if module.split(".")[0] in ours:
                    where = f"{module}.{receiver.__qualname__}"
                    connected.add((name, model._meta.label, where))
    for model in registry.get_models():
        for field in model._meta.many_to_many:
            through = getattr(field.remote_field, "through", None)
            if through is None:
                continue
            sync, asynchronous = signals.m2m_changed._live_receivers(through)
            for receiver in [*sync, *asynchronous]:
                module = getattr(receiver, "__module__", "")
                if module.split(".")[0] in ours:
                    connected.add(("m2m_changed", through._meta.label, module))

    assert connected == JUSTIFIED_SIGNALS
    docs = (ROOT / "docs/development.md").read_text()
    section = docs[docs.index("### Signals kept, and why") :]
    assert [r for _, _, r in sorted(JUSTIFIED_SIGNALS) if f"`{r}`" not in section] == []


def test_every_registry_slot_is_named_in_the_docs() -> None:
    from alignment.registry import SLOTS

    docs = (ROOT / "docs/development.md").read_text()
    section = docs[docs.index("### Two ways to decouple") :]
    assert SLOTS, "no slot declared: the registry import did not run"
    assert [name for name in sorted(SLOTS) if f"`{name}`" not in section] == []
