"""The typed clients under clients/ and docs/api.md's endpoint reference are what `make clients`
makes from a freshly deployed database: regenerated here into a temporary directory, they must
equal the committed ones (run `make clients` and commit when this fails). The Python models
parse real answers."""

from __future__ import annotations

import filecmp
import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from bookiji import clients
from tests.helpers import stack
from tests.helpers.api import pgrst, signup


def stale(generated: Path, committed: Path) -> list[str]:
    """The files of ``generated`` that ``committed`` lacks or holds otherwise, and the files
    only ``committed`` has."""
    out = []
    for path in sorted(p for p in generated.rglob("*") if p.is_file()):
        rel = path.relative_to(generated)
        twin = committed / rel
        if not twin.is_file() or not filecmp.cmp(path, twin, shallow=False):
            out.append(rel.as_posix())
    for path in sorted(p for p in committed.rglob("*") if p.is_file()):
        rel = path.relative_to(committed)
        if not (generated / rel).is_file() and "__pycache__" not in rel.parts:
            out.append(rel.as_posix())
    return out


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, template_db: str) -> Path:
    """clients/ regenerated from the template (built by the real deploy path), and the
    endpoint reference beside it as api-reference.md."""
    out = tmp_path_factory.mktemp("clients")
    docs = clients.documents(stack.admin_url(template_db))
    clients.write_clients(docs, out / "clients")
    (out / "api-reference.md").write_text(clients.reference(docs))
    return out


def test_the_committed_clients_are_what_make_clients_makes(generated: Path) -> None:
    assert stale(generated / "clients", clients.CLIENTS) == [], (
        "clients/ is stale: run `make clients` and commit the result"
    )


def test_docs_api_md_holds_the_generated_endpoint_reference(generated: Path) -> None:
    current = clients.generated_section(clients.API_MD.read_text())
    assert current == (generated / "api-reference.md").read_text(), (
        "docs/api.md's endpoint reference is stale: run `make clients` and commit the result"
    )


def test_the_reference_lists_every_rpc_and_view_of_every_role(generated: Path) -> None:
    text = (generated / "api-reference.md").read_text()
    union = json.loads((generated / "clients" / "openapi" / "all.json").read_text())
    assert len(union["paths"]) > 40
    for path in union["paths"]:
        assert f"#### `{path}`" in text or f"| `{path}` |" in text, path


def test_the_staleness_check_sees_a_changed_a_missing_and_an_extra_file(tmp_path: Path) -> None:
    new, old = tmp_path / "new", tmp_path / "old"
    for root in (new, old):
        (root / "ts").mkdir(parents=True)
        (root / "ts" / "same.ts").write_text("a")
    (new / "ts" / "changed.ts").write_text("b")
    (old / "ts" / "changed.ts").write_text("c")
    (new / "added.json").write_text("{}")
    (old / "gone.py").write_text("")
    assert stale(new, old) == ["added.json", "ts/changed.ts", "gone.py"]


def test_the_reference_replaces_its_own_section_only() -> None:
    text = f"# Page\n\nprose\n\n{clients.BEGIN}\nold\n{clients.END}\nafter\n"
    new = f"{clients.BEGIN}\nnew\n{clients.END}\n"
    assert clients.with_reference(text, new) == f"# Page\n\nprose\n\n{new}after\n"
    assert clients.generated_section(clients.with_reference(text, new)) == new


def _models() -> ModuleType:
    path = clients.CLIENTS / "python" / "bookiji_api_models.py"
    spec = importlib.util.spec_from_file_location("bookiji_api_models", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_python_models_check_postgrest_py_calls_as_docs_clients_md_shows(
    api_url: str,
) -> None:
    models = _models()
    account = signup(api_url, "customer")
    anon = pgrst(api_url)
    login = models.RpcLoginPostRequest(email=account.email, password=account.password)
    session = models.Session.model_validate(anon.rpc("login", login.model_dump()).execute().data)
    me = pgrst(api_url, session.access_token)
    assert models.RpcMeGetResponse.model_validate(me.rpc("me", {}).execute().data).root.role == (
        "customer"
    )
    rows = me.from_("providers").select("*").limit(5).execute().data
    models.ProvidersGetResponse.model_validate(rows)
    with pytest.raises(ValueError):  # a missing required argument never leaves the client
        models.RpcLoginPostRequest.model_validate({"email": account.email})


TS_USE = """
import type { paths, components } from "./bookiji-api";

type QuoteBody = paths["/rpc/quote"]["post"]["requestBody"]["content"]["application/json"];
type Offers = paths["/rpc/quote"]["post"]["responses"][200]["content"]["application/json"];
type Session = components["schemas"]["Session"];

export const body: QuoteBody = {
  category: "haircut", lat: 45.5, lng: -73.6, starts_at: "2026-12-09T19:00:00Z", radius_km: 5,
};
// @ts-expect-error: lat is a number
export const wrong: QuoteBody = { category: "haircut", lat: "north", lng: 0, starts_at: "" };
export const first = (offers: Offers): string | null | undefined => offers[0]?.quote_id;
export const token = (s: Session): string => s.access_token;
"""


def test_the_typescript_types_compile_and_refuse_a_wrong_body(tmp_path: Path) -> None:
    shutil.copy(clients.CLIENTS / "typescript" / "bookiji-api.ts", tmp_path)
    (tmp_path / "use.ts").write_text(TS_USE)
    tsc = clients.ROOT / "node_modules" / ".bin" / "tsc"
    res = subprocess.run(
        [
            str(tsc),
            "--noEmit",
            "--strict",
            "--target",
            "es2022",
            "--module",
            "es2022",
            str(tmp_path / "use.ts"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stdout + res.stderr
