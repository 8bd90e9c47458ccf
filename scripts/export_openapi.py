"""Write the HTTP API's OpenAPI document to docs/openapi.json (the published copy that
tests/service/test_openapi.py compares with what the app serves).

    python scripts/export_openapi.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from minutes.config import Settings
from minutes.service.app import create_app

OUT = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"


def document() -> str:
    # Default settings: the document does not depend on a user's config or database.
    app = create_app(Settings(database_url="sqlite://"))
    return json.dumps(app.openapi(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(document(), encoding="utf-8")
    print(f"wrote {OUT}", file=sys.stderr)
