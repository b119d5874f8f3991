#!/usr/bin/env python3
"""Regenerates the expected outputs of Vigil's parser fixtures from reference implementations.

Run by hand (not by CI) after adding a fixture or changing an example file:

    pip install ruamel.yaml croniter pyyaml   # ruamel.yaml 0.19, croniter 7, PyYAML 6 were used
    python3 Tests/Fixtures/parsers/generate.py [--reference-data ../shared/reference-data]

It writes, beside itself:
  yaml/pyyaml-width20*.yaml PyYAML's yaml.dump of one nested structure (DUMPED below) at width=20, plain, with
                            default_style '"' and "'", and in flow style: wrapped plain, quoted and escaped lines,
                            !!int "1" tags, flow collections over many lines; each must read back (with the
                            reference) as the structure itself. (ruamel.yaml 0.19's own dumper writes the string
                            "? not a key" unquoted at width 20, which reads back as a mapping: not used.)
  yaml/NAME.tree            the tree a YAML 1.2 parser reads from yaml/NAME.yaml (ruamel.yaml's parser with the
                            spec's core-schema resolvers, §10.3.2), in the canonical form below; or nothing
                            when the reference refuses the file (then yaml/NAME.refused must exist: Vigil's
                            exact message, written by hand)
  examples.ndjson           the same for every YAML and JSON file under examples/
  yaml-test-suite.ndjson    the official YAML test suite (data-2022-01-17): input, expected trees, error flag
  json-test-suite.ndjson    JSONTestSuite's test_parsing: bytes (base64), y/n/i, and for y_ the tree
  cron.ndjson               cron expressions with their next five runs (UTC) from a model of Vixie cron
                            (entry.c, cron.c), cross-checked with croniter where the two agree

Canonical form (Tests/TestSupport/CanonicalTree.swift renders Vigil's nodes the same way): null, true, false;
integers in decimal; floats as C's "%.17g" (inf, -inf, nan); strings as JSON with non-ASCII kept; lists and
mappings in document order, keys as JSON strings.
"""

import argparse
import base64
import datetime
import io
import json
import os
import re
import sys
import tarfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))


def canonical(value):
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "%.17g" % value
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(canonical(v) for v in value) + "]"
    if isinstance(value, dict):
        parts = []
        for k, v in value.items():
            if not isinstance(k, str):
                raise ValueError("non-string key %r: not comparable with Vigil's text keys" % (k,))
            parts.append(json.dumps(k, ensure_ascii=False) + ":" + canonical(v))
        return "{" + ",".join(parts) + "}"
    raise ValueError("no canonical form for %r (%s)" % (value, type(value).__name__))


def core_yaml():
    """ruamel.yaml's parser with exactly the YAML 1.2 core schema's implicit types (no timestamps, no 1_000), and
    merge keys (<<)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.resolver import VersionedResolver

    rules = [
        ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
        ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
        # YAML 1.1's merge key, which PyYAML and ruamel.yaml apply in YAML 1.2 documents too (so does Vigil).
        ("tag:yaml.org,2002:merge", r"^(?:<<)$", ["<"]),
        ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
        ("tag:yaml.org,2002:float",
         r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
         list("-+.0123456789")),
    ]
    core = {}
    for tag, pattern, firsts in rules:
        for first in firsts:
            core.setdefault(first, []).append((tag, re.compile(pattern)))

    class CoreResolver(VersionedResolver):
        @property
        def versioned_resolver(self):
            return core

    from ruamel.yaml.constructor import SafeConstructor
    from ruamel.yaml.nodes import MappingNode, ScalarNode

    class CoreConstructor(SafeConstructor):
        pass

    def keep_as_written(constructor, node):
        # A tag outside the core schema (!local, !e!name) leaves the value as written, as Vigil reads it.
        if isinstance(node, ScalarNode):
            return constructor.construct_scalar(node)
        if isinstance(node, MappingNode):
            return constructor.construct_mapping(node, deep=True)
        return constructor.construct_sequence(node, deep=True)

    CoreConstructor.add_constructor(None, keep_as_written)
    yaml = YAML(typ="safe", pure=True)
    yaml.Resolver = CoreResolver
    yaml.Constructor = CoreConstructor
    return yaml


def load_yaml_text(yaml, data):
    return yaml.load(io.BytesIO(data) if isinstance(data, bytes) else io.StringIO(data))


def generate_yaml_corpus(yaml):
    from ruamel.yaml.error import YAMLError

    folder = os.path.join(HERE, "yaml")
    missing = []
    for name in sorted(os.listdir(folder)):
        if not name.endswith(".yaml"):
            continue
        base = os.path.join(folder, name[:-5])
        with open(os.path.join(folder, name), "rb") as f:
            data = f.read()
        try:
            tree = canonical(load_yaml_text(yaml, data))
        except (YAMLError, ValueError) as error:  # the reference refuses it (or it has no canonical form)
            if os.path.exists(base + ".tree"):
                os.remove(base + ".tree")
            if not os.path.exists(base + ".refused"):
                missing.append("%s (reference: %s)" % (name, str(error).splitlines()[0]))
            continue
        with open(base + ".tree", "w", encoding="utf-8") as f:
            f.write(tree + "\n")
    if missing:
        sys.exit("the reference refuses these inputs; write the message Vigil must give in NAME.refused:\n  "
                 + "\n  ".join(missing))


# Everything a dump must wrap, quote or tag. No string that YAML 1.1 (PyYAML) writes plain but YAML 1.2 reads as
# another type: PyYAML writes "1e3" unquoted, which a YAML 1.2 reader takes for the float 1000.0.
DUMPED = {
    "openapi": "3.0.3",
    "info": {
        "title": "A service whose title is long enough to wrap at twenty columns",
        "description": "Line one of the description.\nLine two, after a break.\n\n  Indented line three, after an empty line.",
        "version": "1.0",
        "x-numbers-as-text": ["007", "0x1F", ".inf", "yes", "null", "~", "true", "1_000", "2001-12-14"],
    },
    "servers": [{"url": "https://api.example.com/v1?query=a b&c=d#fragment"}],
    "paths": {"/users/{id}": {"get": {
        "summary": "Get a user: by id, with \"quotes\" and 'apostrophes'",
        "parameters": [{"name": "id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 9007199254740991}}],
        "responses": {"200": {"description": "获取用户信息 — the user, in several languages: ユーザー, Benutzer, usuário"}},
        "x-tabs-and-spaces": "a\ttab,  two spaces,   three, trailing space ",
        "x-leading": "  leading spaces and a # hash, a: colon",
        "x-control": "bell\x07 escape\x1b nel\x85 ls\u2028 end",
        "x-empty": "", "x-null": None, "x-float": 0.1, "x-negative": -42, "x-big-float": 1.5e300, "x-false": False,
        "x-nested": [[1, [2, [3, {"deep": ["x" * 30, "y " * 20, "- not a list", "? not a key", "[not, flow]"]}]]], {}, []],
    }}},
}


def generate_dumps(yaml):
    import yaml as pyyaml

    folder = os.path.join(HERE, "yaml")
    dumps = [(name, pyyaml.dump(DUMPED, width=20, default_style=style, default_flow_style=flow, allow_unicode=True,
                                sort_keys=False))
             for name, style, flow in (("pyyaml-width20", None, False), ("pyyaml-width20-double", '"', False),
                                       ("pyyaml-width20-single", "'", False), ("pyyaml-width20-flow", None, True))]
    for name, text in dumps:
        if load_yaml_text(yaml, text) != DUMPED:
            sys.exit("%s does not read back as the structure it was dumped from" % name)
        with open(os.path.join(folder, name + ".yaml"), "w", encoding="utf-8") as f:
            f.write(text)


def generate_examples(yaml):
    examples = os.path.join(ROOT, "examples")
    rows = []
    for directory, _, files in os.walk(examples):
        for name in sorted(files):
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, examples)
            with open(path, "rb") as f:
                data = f.read()
            if name.endswith((".yaml", ".yml")):
                tree = canonical(load_yaml_text(yaml, data))
            elif name.endswith(".json"):
                tree = canonical(json.loads(data.decode("utf-8")))
            else:
                continue
            rows.append({"path": relative, "tree": tree})
    rows.sort(key=lambda r: r["path"])
    write_ndjson("examples.ndjson", rows)


def json_values(text):
    """Every JSON value in `text` (in.json of a multi-document case holds several)."""
    decoder = json.JSONDecoder()
    values, i = [], 0
    while True:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        if i >= len(text):
            return values
        value, i = decoder.raw_decode(text, i)
        values.append(value)


def generate_yaml_test_suite(reference):
    rows = []
    with tarfile.open(os.path.join(reference, "yaml-test-suite-data-2022-01-17.tar.gz")) as tar:
        members = {m.name: m for m in tar.getmembers() if m.isfile()}

        def read(name):
            member = members.get(name)
            return tar.extractfile(member).read() if member else None

        cases = sorted({os.path.dirname(n) for n in members if n.endswith("/in.yaml")})
        for case in cases:
            parts = case.split("/")
            case_id = "/".join(p for p in parts if p not in (".", "")).lstrip("./")
            title = (read(case + "/===") or b"").decode("utf-8").strip()
            source = read(case + "/in.yaml").decode("utf-8")
            expected = read(case + "/in.json")
            trees = None
            if expected is not None:
                try:
                    trees = [canonical(v) for v in json_values(expected.decode("utf-8"))]
                except ValueError:
                    trees = None
            rows.append({"id": case_id, "title": title, "yaml": source, "trees": trees,
                         "error": read(case + "/error") is not None})
    write_ndjson("yaml-test-suite.ndjson", rows)


def generate_json_test_suite(reference):
    rows = []
    with tarfile.open(os.path.join(reference, "JSONTestSuite-test_parsing.tar.gz")) as tar:
        for member in sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: m.name):
            name = os.path.basename(member.name)
            if not name.endswith(".json") or name[:2] not in ("y_", "n_", "i_"):
                continue
            data = tar.extractfile(member).read()
            tree = None
            if name.startswith("y_"):
                tree = canonical(json.loads(data.decode("utf-8")))
            rows.append({"name": name, "expect": name[0], "base64": base64.b64encode(data).decode("ascii"), "tree": tree})
    write_ndjson("json-test-suite.ndjson", rows)


# --- cron: a model of Vixie cron (entry.c parses, cron.c matches), with cronie's "N/step" (N through the maximum).

FIELDS = [("minute", 0, 59, None), ("hour", 0, 23, None), ("dom", 1, 31, None),
          ("month", 1, 12, ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
          ("dow", 0, 7, ["sun", "mon", "tue", "wed", "thu", "fri", "sat"])]
MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
          "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


def vixie_field(text, low, high, names):
    def number(token):
        if token.isdigit():
            return int(token)
        base = 1 if names and names[0] == "jan" else 0
        return names.index(token.lower()) + base

    values = set()
    for part in text.split(","):
        base, _, step = part.partition("/")
        step = int(step) if step else 1
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, b = base.split("-")
            first, last = number(a), number(b)
        else:
            first = number(base)
            last = high if step != 1 or "/" in part else first
        values.update(range(first, last + 1, step))
    return values


def vixie_next(expression, after):
    fields = MACROS.get(expression, expression).split()
    sets = [vixie_field(f, lo, hi, names) for f, (_, lo, hi, names) in zip(fields, FIELDS)]
    minutes, hours, doms, months, dows = sets
    dows = {d % 7 for d in dows}
    dom_star, dow_star = fields[2].startswith("*"), fields[4].startswith("*")
    t = after.replace(second=0, microsecond=0) + datetime.timedelta(minutes=1)
    for _ in range(60 * 24 * 366 * 9):
        dom_ok, dow_ok = t.day in doms, (t.isoweekday() % 7) in dows
        day_ok = (dom_ok and dow_ok) if (dom_star or dow_star) else (dom_ok or dow_ok)
        if t.month in months and day_ok and t.hour in hours and t.minute in minutes:
            return t
        if not (t.month in months and day_ok):
            t = (t + datetime.timedelta(days=1)).replace(hour=0, minute=0)
        elif t.hour not in hours:
            t = (t + datetime.timedelta(hours=1)).replace(minute=0)
        else:
            t += datetime.timedelta(minutes=1)
    return None


CRON_CASES = [
    ("0 3 */2 * *", "2026-11-01T00:00:00Z"), ("0 3 * * */2", "2026-11-01T00:00:00Z"),
    ("0 3 */2 * 1", "2026-11-01T00:00:00Z"), ("0 3 1-31/2 * 1", "2026-11-01T00:00:00Z"),
    ("0 3 */10 * *", "2026-11-25T00:00:00Z"), ("0 0 */2 */3 *", "2026-11-01T00:00:00Z"),
    ("0 0 13 * 5", "2026-11-01T00:00:00Z"), ("0 0 *,13 * 5", "2026-11-01T00:00:00Z"),
    ("0 0 13 * *,5", "2026-11-01T00:00:00Z"), ("15 10 * * 1-5/2", "2026-11-20T00:00:00Z"),
    ("*/15 * * * *", "2026-11-22T15:07:00Z"), ("0 0 31 * *", "2026-11-01T00:00:00Z"),
    ("0 0 29 2 *", "2026-03-01T00:00:00Z"), ("0 12 * * 7", "2026-11-23T00:00:00Z"),
    ("0 12 * * SUN", "2026-11-23T00:00:00Z"), ("30 9-17/4 * * 1-5", "2026-11-20T17:31:00Z"),
    ("0 0 1 jan,jul *", "2026-07-02T00:00:00Z"), ("5/20 * * * *", "2026-11-22T15:06:00Z"),
    ("0 */6 * * *", "2026-11-22T05:00:00Z"), ("59 23 28-31 * *", "2026-02-27T00:00:00Z"),
    ("@weekly", "2026-11-23T00:00:00Z"), ("@monthly", "2026-11-23T00:00:00Z"), ("0 0 * * 0,6", "2026-11-23T00:00:00Z"),
    ("0 8 1-7 * 1", "2026-11-01T00:00:00Z"), ("0 8 */7 * 1", "2026-11-01T00:00:00Z"),
]


def generate_cron():
    from croniter import croniter
    rows = []
    for expression, start in CRON_CASES:
        after = datetime.datetime.strptime(start, "%Y-%m-%dT%H:%M:%SZ")
        runs, t = [], after
        for _ in range(5):
            t = vixie_next(expression, t)
            runs.append(t.strftime("%Y-%m-%dT%H:%M:%SZ"))
        it = croniter(expression, after)
        other = [it.get_next(datetime.datetime).strftime("%Y-%m-%dT%H:%M:%SZ") for _ in range(5)]
        rows.append({"expression": expression, "after": start, "runs": runs, "croniter_agrees": other == runs})
    write_ndjson("cron.ndjson", rows)


def write_ndjson(name, rows):
    with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print("wrote %s (%d rows)" % (name, len(rows)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-data", default=os.path.join(ROOT, "..", "shared", "reference-data"))
    args = parser.parse_args()
    yaml = core_yaml()
    generate_dumps(yaml)
    generate_yaml_corpus(yaml)
    generate_examples(yaml)
    generate_yaml_test_suite(args.reference_data)
    generate_json_test_suite(args.reference_data)
    generate_cron()


if __name__ == "__main__":
    main()
