"""Re-fetch the GraphiQL page's npm files into gql_crm/web/graphiql/assets and record their
Subresource Integrity hashes in gql_crm/web/graphiql/assets.json.

    python scripts/vendor_graphiql.py

The files are the ones Strawberry's own GraphiQL page loads from a CDN, at the same pinned
versions, taken from the npm registry with ``npm pack`` (which checks each tarball against
the registry's integrity hash). Bump a version in ``FILES``, run this, review the diff, and
run the tests: ``tests/app/test_graphiql.py`` loads the page in Chromium with the network off.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

# (package, version, file inside the package): what the page loads, in the order it loads it.
FILES: list[tuple[str, str, str]] = [
    ("react", "18.2.0", "umd/react.production.min.js"),
    ("react-dom", "18.2.0", "umd/react-dom.production.min.js"),
    ("js-cookie", "3.0.5", "dist/js.cookie.min.js"),
    ("graphiql", "3.8.3", "graphiql.min.css"),
    ("@graphiql/plugin-explorer", "1.0.2", "dist/style.css"),
    ("graphiql", "3.8.3", "graphiql.min.js"),
    ("@graphiql/plugin-explorer", "1.0.2", "dist/index.umd.js"),
]
# The licences travel with the code they cover.
LICENCES = ("LICENSE", "LICENSE.md", "LICENSE.txt")

HERE = Path(__file__).resolve().parent
TARGET = HERE.parent / "gql_crm" / "web" / "graphiql"


def sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def fetch(package: str, version: str, into: Path) -> Path:
    """The package's tarball from the npm registry, unpacked into ``into``; its root."""
    packed = subprocess.run(
        ["npm", "pack", f"{package}@{version}", "--json", "--pack-destination", str(into)],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = into / json.loads(packed.stdout)[0]["filename"]
    root = into / f"{package.replace('/', '__')}@{version}"
    with tarfile.open(tarball) as archive:
        archive.extractall(root, filter="data")
    return root / "package"


def main() -> None:
    assets = TARGET / "assets"
    shutil.rmtree(assets, ignore_errors=True)
    manifest: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory() as scratch:
        unpacked: dict[tuple[str, str], Path] = {}
        for package, version, path in FILES:
            key = (package, version)
            if key not in unpacked:
                unpacked[key] = fetch(package, version, Path(scratch))
                for name in LICENCES:
                    licence = unpacked[key] / name
                    if licence.exists():
                        target = assets / f"{package}@{version}" / name
                        target.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(licence, target)
            data = (unpacked[key] / path).read_bytes()
            url_path = f"{package}@{version}/{path}"
            target = assets / url_path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            manifest.append({"path": url_path, "integrity": sri(data)})
            print(f"{url_path}  {sri(data)}")
    (TARGET / "assets.json").write_text(json.dumps(manifest, indent=2) + "\n")


if __name__ == "__main__":
    main()
