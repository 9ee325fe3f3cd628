"""Where attachments are stored, from the environment (read once, so in a fresh interpreter)."""

from __future__ import annotations

import json

from tests.alignment.test_settings import production_env, run_python

PRINT_STORAGE = (
    "import django, json; django.setup(); from django.conf import settings; "
    "from django.core.files.storage import storages; s = storages['attachments']; "
    "print(json.dumps({'backend': settings.STORAGES['attachments']['BACKEND'], "
    "'options': settings.STORAGES['attachments']['OPTIONS'], 'class': type(s).__name__}, "
    "default=str))"
)


def _storage(**env: str) -> dict:
    result = run_python(["-c", PRINT_STORAGE], production_env(**env))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_a_bucket_files_go_to_the_data_folder_and_no_url_serves_them(tmp_path):
    found = _storage(DATA_DIR=str(tmp_path))
    assert found["class"] == "FileSystemStorage"
    assert found["options"] == {
        "location": str(tmp_path / "media" / "attachments"),
        "base_url": None,
    }


def test_a_bucket_switches_to_s3_with_every_setting_from_the_environment():
    found = _storage(
        ATTACHMENTS_S3_BUCKET="team-files",
        ATTACHMENTS_S3_ENDPOINT_URL="http://minio:9000",
        ATTACHMENTS_S3_REGION="eu-west-1",
        ATTACHMENTS_S3_ACCESS_KEY_ID="key-id",
        ATTACHMENTS_S3_SECRET_ACCESS_KEY="key-secret",
        ATTACHMENTS_S3_ADDRESSING_STYLE="path",
    )
    assert found["class"] == "S3Storage"
    options = found["options"]
    assert (options["bucket_name"], options["endpoint_url"], options["region_name"]) == (
        "team-files",
        "http://minio:9000",
        "eu-west-1",
    )
    assert (options["access_key"], options["secret_key"]) == ("key-id", "key-secret")
    assert options["addressing_style"] == "path"
    assert options["default_acl"] is None
    assert options["querystring_expire"] == 60
