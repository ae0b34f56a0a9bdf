#!/usr/bin/python3
"""Validates splitsecond JSON documents against the JSON Schemas in docs/schema/.

Usage: validate-json.py FILE...   (the schema is chosen by each file's "schema" key)
Exit 0 when every file is valid; 1 with one line per problem (file, JSON path, message).
"""
import json
import pathlib
import sys

import jsonschema

SCHEMAS = {
    "splitsecond.run/1": "run.schema.json",
    "splitsecond.claims/1": "claims.schema.json",
    "splitsecond.sweep/1": "sweep.schema.json",
}


def main(paths):
    here = pathlib.Path(__file__).resolve().parent.parent / "docs" / "schema"
    bad = 0
    for path in paths:
        try:
            doc = json.loads(pathlib.Path(path).read_text())
        except (OSError, ValueError) as e:
            print(f"{path}: cannot read JSON: {e}")
            bad += 1
            continue
        name = doc.get("schema") if isinstance(doc, dict) else None
        if name not in SCHEMAS:
            print(f"{path}: unknown or missing \"schema\" key: {name!r}")
            bad += 1
            continue
        schema = json.loads((here / SCHEMAS[name]).read_text())
        validator = jsonschema.Draft202012Validator(schema)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors[:20]:
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            print(f"{path}: at {where}: {e.message}")
        if errors:
            print(f"{path}: {len(errors)} schema violation(s) against {SCHEMAS[name]}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1:]))
