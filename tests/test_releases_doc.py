"""docs/releases.md is the release table rendered: the docs and the reconciler read the same facts."""

from pathlib import Path

from reconciler.rules.releases import markdown


def test_the_releases_page_is_the_table():
    page = Path(__file__).resolve().parents[1] / "docs" / "releases.md"
    assert page.read_text(encoding="utf-8") == markdown(), (
        "regenerate: python -m reconciler.rules.releases > docs/releases.md"
    )
