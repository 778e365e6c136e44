"""Regenerate ``generated/`` from ``openapi.yaml``: the only writer of that folder.

    python -m tools.generate           # write generated/ (what `make generate` runs)
    python -m tools.generate --check   # regenerate into a temp dir, fail on any difference

Two generators read the one spec:

* openapi-python-client (with ``generator-config.yaml`` and ``templates/``) writes the
  client package ``portkey_runs_api`` (into ``generated/``);
* datamodel-code-generator writes the pydantic v2 wire models that the reference server
  validates with, as the module ``portkey_runs.testing._wire`` (into
  ``overlay/portkey_runs/testing/_wire.py``, the one generated file of the overlay): they ship
  with the ``testing`` extra, which has pydantic, not as a package of their own.

Both run in a temporary directory outside the repository with every option spelled out,
so that no surrounding ``pyproject.toml`` or ruff configuration can change their output
(ruff always runs with ``--isolated``: datamodel-code-generator's own ruff formatters do not,
so it runs without formatters and ruff is run on its output here, as the client's post hooks
do), and with the tool versions checked against the pins below: templates rely on generator
internals, so an upgrade must be a deliberate change of these constants.

``--out DIR`` writes (or checks) both into another folder, by module path
(``DIR/portkey_runs_api/``, ``DIR/portkey_runs/testing/_wire.py``); it must be empty, missing, or
hold a previous generation (nothing else), since writing replaces it.
"""

from __future__ import annotations

import argparse
import difflib
import filecmp
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import yaml

from tools.api_snapshot import snapshot
from tools.spec_facts import MODULE as FACTS_MODULE
from tools.spec_facts import FactError, facts, render

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi.yaml"
CONFIG = ROOT / "generator-config.yaml"
TEMPLATES = ROOT / "templates"
OUT = ROOT / "generated"
OVERLAY_ROOT = ROOT / "overlay"
OVERLAY = OVERLAY_ROOT / "portkey_runs"
SNAPSHOT = ROOT / "public-api.txt"

CLIENT_PACKAGE = "portkey_runs_api"
#: The wire models' module, by its path below a source root.
WIRE_MODULE = "portkey_runs/testing/_wire.py"

PINNED = {
    "openapi-python-client": "0.29.1",
    "datamodel-code-generator": "0.89.0",
    # formats both packages; its output is part of the generated code
    "ruff": "0.17.5",
}

# The stock templates that templates/ replaces, as they were when we copied them. If an
# upgrade of the generator changes one, our copy is stale: generation stops until the copy is
# reviewed against the new stock template and this hash updated.
STOCK_TEMPLATES = {
    "client.py.jinja": "4eac65762f21014a7fbf59e730f1be6d28c9c85ddc1c40b458b6ff5f67a64c9e",
    # Endpoints: safe path segments, any status code, non-JSON bodies, checked parsing.
    "endpoint_module.py.jinja": "c1b2628053eb4875ba59566baa5ae907666f9cbfafa308d93f970a4404b7cd52",
    # ParseError, the one error for data that breaks the contract.
    "errors.py.jinja": "b6ba7ea79aa7d7f24b47119985d1ed20268d3da0ab70309ee138088a106b6af9",
    # Models: checked from_dict that names the failing path, UnknownVariant in unions.
    "model.py.jinja": "fd1c79680d51c06cfbb89809ad123750ba9add98b688036c04cabbf1f8ba40a0",
    # The checked parsing macros (ours) next to the stock construct_template.
    "property_templates/property_macros.py.jinja": (
        "c79a9954579902a214d7caecf5b7c00912d1f20b941238d290099fcb027233f9"
    ),
    # Unions parsed by JSON type and discriminator, serialised without isinstance chains.
    "property_templates/union_property.py.jinja": (
        "03790f2710deaeb219c18e518ae183ad4a41eda1f78cf625d139edff7546cd26"
    ),
    # Enums: a strict constructor, and _from_json for parsing, which keeps unknown values as
    # pseudo-members.
    "str_enum.py.jinja": "e4979a5e6b338351eda8bdac534017cfbeb51a809b494fd3c632db39414817fc",
    # Integer enums stop the generation, naming the enum (the stock IntEnum would be strict).
    "int_enum.py.jinja": "cf8776855b1d826971501d5f6d5b38c3cb496aad9276684b8ece268db67918bc",
    # models/__init__.py: each model imported on first use (a module __getattr__), for import time.
    "models_init.py.jinja": "4f64a3d6e1b15a561be5573c1b7702eb928c0e4fa6b67107d20e57a74c44d51a",
    # UnknownVariant, Response.status_code for any code, the endpoint helpers.
    "types.py.jinja": "93df9d75883a4eafac77dd21bc6907f3ef612e3f7841e08656618dcf6c4ce494",
}

# Stock templates that our templates call into without replacing them (their transform macros,
# the endpoint argument and docstring macros): a change to one may break ours as surely.
STOCK_TEMPLATES_CALLED = {
    "endpoint_macros.py.jinja": "58edb8b4913db6ed4863c633fb39365364494398c8156c77151c6676f1b28fee",
    "helpers.jinja": "4e6ada7b7a8806e739faa7b1f330c1db2b924180a3003df0a4e048edcb549f02",
    "property_templates/any_property.py.jinja": (
        "1f5f9a325f4cc6cf73fa05d0530f4c08d36b1987b01b5a74b38ddf958e181ed0"
    ),
    "property_templates/boolean_property.py.jinja": (
        "df1821adba9279487e424d6f75a59bfd1c4638136385f2857fd1013a630e0735"
    ),
    "property_templates/const_property.py.jinja": (
        "d296884c11f3aafad6772d8cb71de0a3d08ad36c9ad197c0e727082f86f32659"
    ),
    "property_templates/date_property.py.jinja": (
        "927595c05d7caa8004dc3f0ec9d8f12d79dc6afb9d0ab2ad52bf1f8a84a45e17"
    ),
    "property_templates/datetime_property.py.jinja": (
        "c789d11d8ea26cb5ab637470b1c11049652bf6438434e36325212e40304d7ff9"
    ),
    "property_templates/enum_property.py.jinja": (
        "28f1074bdd5f0d7e66618c7e3e5b6e3b75467adf25a971922905df0bf3dcf126"
    ),
    "property_templates/file_property.py.jinja": (
        "c7e4a756b15108885ae3dac10c330a8d093bf42215f80cefb012fa5f75dba0aa"
    ),
    "property_templates/float_property.py.jinja": (
        "bcc65b46da262043ef9cacbde5f4f840d411aee7efe7181d4a767def148ddfc5"
    ),
    "property_templates/helpers.jinja": (
        "a321c953d7101a1b18ed77f543b39aa57e86e265b7a913545f6c052a12b6331b"
    ),
    "property_templates/int_property.py.jinja": (
        "bcc65b46da262043ef9cacbde5f4f840d411aee7efe7181d4a767def148ddfc5"
    ),
    "property_templates/list_property.py.jinja": (
        "4390b5f673fdb10d1ae7f47fd2720a88dce53a4c64a6137549559566f9107a2c"
    ),
    "property_templates/literal_enum_property.py.jinja": (
        "1b3096b7187246cf42383db9e659269e1861b2a54b26cb837e9bdcb788693630"
    ),
    "property_templates/model_property.py.jinja": (
        "9f6efdbfb6212ee4cbaf25149c275d04b262cb03dc69c31bc301282a58167f68"
    ),
    "property_templates/uuid_property.py.jinja": (
        "e56511359f8d3c68858c7f80718299ccc4bc9663b5ccb802b5fd472cc883d9a2"
    ),
}

HEADER = (
    "# Generated by {tool} {version} from openapi.yaml by `make generate`.\n"
    "# Do not edit: change openapi.yaml, generator-config.yaml or templates/ and regenerate.\n"
)

WIRE_ARGS = [
    "--input-file-type=openapi",
    "--output-model-type=pydantic_v2.BaseModel",
    # An immutable preset: the output cannot drift with the generator's future defaults.
    "--preset=standard-py311-20261027",
    # its ruff formatters would read the user's ruff configuration: RUFF below formats instead
    "--no-formatters",
    "--disable-timestamp",
    # Wire models are strict: "1" is not an integer, 1 is not a string.
    "--strict-types",
    "str",
    "int",
    "bool",
    "--openapi-scopes",
    "schemas",
    "paths",
    "parameters",
]


#: What the client's post hooks (generator-config.yaml) run, run on the wire package too.
_RUFF_OPTIONS = ["--isolated", "--no-cache", "--target-version=py311"]
RUFF = [
    ["check", *_RUFF_OPTIONS, "--fix-only", "--extend-select=I", "."],
    ["format", *_RUFF_OPTIONS, "."],
]


class GenerationError(Exception):
    """A step of the generation failed; the message says which and why."""


def check_versions() -> None:
    for package, pinned in PINNED.items():
        installed = version(package)
        if installed != pinned:
            raise GenerationError(
                f"{package} {installed} is installed but {pinned} is pinned: templates/ and "
                f"tests rely on its internals. Run `make generate` from the locked virtualenv, "
                f"or upgrade deliberately by changing PINNED in tools/generate.py."
            )


def check_stock_templates() -> None:
    import openapi_python_client

    stock = Path(openapi_python_client.__file__).parent / "templates"
    for name in [*STOCK_TEMPLATES, *STOCK_TEMPLATES_CALLED]:
        if not (stock / name).is_file():
            raise GenerationError(
                f"openapi-python-client {PINNED['openapi-python-client']} has no stock template "
                f"{name}: a template of that name in templates/ would never be used; remove it, "
                f"or rename it after the stock template it replaces (and update STOCK_TEMPLATES)"
            )
    for name, recorded in STOCK_TEMPLATES.items():
        actual = hashlib.sha256((stock / name).read_bytes()).hexdigest()
        if actual != recorded:
            raise GenerationError(
                f"the generator's stock template {name} changed (sha256 {actual[:12]}, recorded "
                f"{recorded[:12]}): review templates/{name} against it, then update STOCK_TEMPLATES"
            )
    for name, recorded in STOCK_TEMPLATES_CALLED.items():
        actual = hashlib.sha256((stock / name).read_bytes()).hexdigest()
        if actual != recorded:
            raise GenerationError(
                f"the generator's stock template {name}, which templates/ calls into, changed "
                f"(sha256 {actual[:12]}, recorded {recorded[:12]}): check that templates/ still "
                f"work with it, then update STOCK_TEMPLATES_CALLED"
            )
    ours = (
        {p.relative_to(TEMPLATES).as_posix() for p in TEMPLATES.rglob("*.jinja")}
        if TEMPLATES.is_dir()
        else set()
    )
    orphans = sorted(name for name in ours if not (stock / name).is_file())
    if orphans:
        raise GenerationError(
            f"templates/ {', '.join(orphans)} has no stock counterpart in openapi-python-client "
            f"{PINNED['openapi-python-client']}, so the generator would never use it"
        )
    unrecorded = sorted(ours - set(STOCK_TEMPLATES))
    if unrecorded:
        raise GenerationError(f"templates/ {', '.join(unrecorded)} missing from STOCK_TEMPLATES")


def check_config(path: Path = CONFIG) -> None:
    from openapi_python_client.config import ConfigFile

    data = yaml.safe_load(path.read_text()) or {}
    unknown = sorted(set(data) - set(ConfigFile.model_fields))
    if unknown:
        raise GenerationError(
            f"{path.name}: unknown key(s) {', '.join(unknown)} "
            f"(openapi-python-client would silently ignore them)"
        )


def _run(cmd: list[str], cwd: Path, *, fail_on_warning: bool = False) -> None:
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise GenerationError(f"{Path(cmd[0]).name} failed:\n{proc.stdout}{proc.stderr}")
    noise = [line for line in proc.stderr.splitlines() if "warning" in line.lower()]
    if fail_on_warning and noise:
        raise GenerationError(f"{Path(cmd[0]).name} reported:\n" + "\n".join(noise))


def _prepend_header(package: Path, tool: str) -> None:
    header = HEADER.format(tool=tool, version=PINNED[tool])
    for path in sorted(package.rglob("*.py")):
        path.write_text(header + path.read_text())


def _write_facts(path: Path, spec: Path) -> None:
    """The spec's facts the overlay reads (``tools/spec_facts.py``), as a formatted module."""
    try:
        found = facts(yaml.safe_load(spec.read_text(encoding="utf-8")))
    except FactError as exc:
        raise GenerationError(f"{spec.name}: {exc}") from exc
    header = "# Generated by tools/spec_facts.py from openapi.yaml by `make generate`.\n"
    path.write_text(header + HEADER.splitlines(keepends=True)[1] + render(found))
    for args in RUFF:
        _run([str(Path(sys.executable).parent / "ruff"), *args[:-1], path.name], cwd=path.parent)


def generate_into(dest: Path, spec: Path = SPEC) -> None:
    """Write the client package and the wire module into ``dest`` (which must exist and be
    empty), by module path: ``dest/portkey_runs_api/``, ``dest/portkey_runs/testing/_wire.py``."""
    if not spec.is_file():
        raise GenerationError(f"no OpenAPI document at {spec}")
    check_versions()
    check_stock_templates()
    check_config()
    bindir = Path(sys.executable).parent
    with tempfile.TemporaryDirectory(prefix="portkey-runs-gen-") as tmp:
        work = Path(tmp)
        client_cmd = [
            str(bindir / "openapi-python-client"),
            "generate",
            f"--path={spec}",
            f"--config={CONFIG}",
            "--meta=none",
            f"--output-path={work / CLIENT_PACKAGE}",
            "--fail-on-warning",
        ]
        if TEMPLATES.is_dir():
            client_cmd.append(f"--custom-template-path={TEMPLATES}")
        _run(client_cmd, cwd=work)
        client = work / CLIENT_PACKAGE
        _prepend_header(client, "openapi-python-client")
        (client / "py.typed").write_text("")
        _write_facts(client / FACTS_MODULE, spec)

        wire = work / "wire"
        wire.mkdir()
        wire_header = HEADER.format(
            tool="datamodel-code-generator", version=PINNED["datamodel-code-generator"]
        )
        _run(
            [
                str(bindir / "datamodel-codegen"),
                f"--input={spec}",
                f"--output={wire / '_wire.py'}",
                f"--custom-file-header={wire_header.rstrip()}",
                *WIRE_ARGS,
            ],
            cwd=work,
            fail_on_warning=True,
        )
        for args in RUFF:
            _run([str(bindir / "ruff"), *args], cwd=wire)

        shutil.copytree(client, dest / CLIENT_PACKAGE)
        (dest / WIRE_MODULE).parent.mkdir(parents=True)
        shutil.copyfile(wire / "_wire.py", dest / WIRE_MODULE)


def _placed(out: Path) -> dict[str, Path]:
    """Where each generated artefact lives: below ``out`` by module path, or, for the
    repository's own ``generated/``, the client package there and the wire module in the
    overlay."""
    if out == OUT:
        return {CLIENT_PACKAGE: OUT / CLIENT_PACKAGE, WIRE_MODULE: OVERLAY_ROOT / WIRE_MODULE}
    return {CLIENT_PACKAGE: out / CLIENT_PACKAGE, WIRE_MODULE: out / WIRE_MODULE}


def _files(root: Path) -> set[str]:
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def _differences(fresh: Path, out: Path) -> list[str]:
    """The artefacts (by module path) that differ between a fresh generation and ``out``:
    missing on either side, or changed."""
    differing: set[str] = set()
    for name, actual in _placed(out.resolve()).items():
        expected = fresh / name
        if expected.is_file():
            if not actual.is_file() or not filecmp.cmp(expected, actual, shallow=False):
                differing.add(name)
            continue
        want = _files(expected)
        have = _files(actual) if actual.is_dir() else set()
        changed = {
            rel
            for rel in want & have
            if not filecmp.cmp(expected / rel, actual / rel, shallow=False)
        }
        differing |= {f"{name}/{rel}" for rel in (want ^ have) | changed}
    return sorted(differing)


def _shown(path: Path) -> str:
    """``path`` relative to the repository if it is inside it, else absolute."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def check_out(out: Path) -> Path:
    """``out`` resolved; raises if writing there could destroy something else."""
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise GenerationError(f"--out {out} is not a folder")
    if out.is_dir() and out != OUT:
        foreign = sorted(
            rel
            for rel in _files(out)
            if rel.split("/", 1)[0] != CLIENT_PACKAGE and rel != WIRE_MODULE
        )
        if foreign:
            raise GenerationError(
                f"--out {out} holds {', '.join(foreign[:5])}"
                f"{' ...' if len(foreign) > 5 else ''}: it is not a previous generation "
                f"(only {CLIENT_PACKAGE}/ and {WIRE_MODULE}), and writing would replace it; "
                f"choose an empty or new folder"
            )
    return out


def check(spec: Path = SPEC, out: Path = OUT) -> int:
    out = out.resolve()
    shown = _shown(out)
    with tempfile.TemporaryDirectory(prefix="portkey-runs-check-") as tmp:
        fresh = Path(tmp)
        generate_into(fresh, spec)
        differing = _differences(fresh, out)
        placed = _placed(out)
        if out == OUT and (
            not SNAPSHOT.is_file()
            or SNAPSHOT.read_text() != snapshot(fresh / CLIENT_PACKAGE, OVERLAY)
        ):
            print(
                f"{SNAPSHOT.name} is out of date with the generated client or the overlay "
                f"(run `make generate`)",
                file=sys.stderr,
            )
            if not differing:
                return 1
        if not differing:
            print(f"{shown}/ is in sync with {spec.name}")
            return 0
        print(
            f"{shown}/ is out of sync with {spec.name} (run `make generate`); differing files:",
            file=sys.stderr,
        )

        def where(rel: str) -> Path:
            if rel == WIRE_MODULE:
                return placed[WIRE_MODULE]
            return placed[CLIENT_PACKAGE] / rel.removeprefix(f"{CLIENT_PACKAGE}/")

        for rel in differing:
            print(f"  {_shown(where(rel))}", file=sys.stderr)
        for rel in differing[:5]:
            old, new = where(rel), fresh / rel
            diff = difflib.unified_diff(
                old.read_text().splitlines() if old.is_file() else [],
                new.read_text().splitlines() if new.is_file() else [],
                f"{_shown(old)} (checked in)",
                f"{_shown(old)} (from {spec.name})",
                lineterm="",
                n=1,
            )
            print("\n".join(list(diff)[:40]), file=sys.stderr)
        return 1


def write(spec: Path = SPEC, out: Path = OUT) -> int:
    out = check_out(out)
    with tempfile.TemporaryDirectory(prefix="portkey-runs-gen-out-") as tmp:
        fresh = Path(tmp)
        generate_into(fresh, spec)
        # Only replace the output once both generators have succeeded.
        placed = _placed(out)
        package = placed[CLIENT_PACKAGE]
        if package.exists():
            shutil.rmtree(package)
        shutil.copytree(fresh / CLIENT_PACKAGE, package)
        placed[WIRE_MODULE].parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(fresh / WIRE_MODULE, placed[WIRE_MODULE])
    written = [placed[CLIENT_PACKAGE], placed[WIRE_MODULE]]
    if out == OUT:
        SNAPSHOT.write_text(snapshot(out / CLIENT_PACKAGE, OVERLAY))
        written.append(SNAPSHOT)
    print("wrote " + ", ".join(_shown(path) for path in written))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.generate", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--check", action="store_true", help="fail if generated/ differs from a fresh run"
    )
    parser.add_argument("--spec", type=Path, default=SPEC, help="the OpenAPI document")
    parser.add_argument("--out", type=Path, default=OUT, help="the folder to write or check")
    args = parser.parse_args(argv)
    try:
        return check(args.spec, args.out) if args.check else write(args.spec, args.out)
    except GenerationError as exc:
        print(f"make generate: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
