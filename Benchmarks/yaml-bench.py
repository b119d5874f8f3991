#!/usr/bin/env python3
"""The libyaml side of Benchmarks/yaml-bench.sh, and its synthetic documents.

    yaml-bench.py read FILE REPETITIONS     prints: seconds-per-read documents peak-rss-kb (PyYAML's CSafeLoader)
    yaml-bench.py generate FILE BYTES       writes an OpenAPI-shaped YAML document of about BYTES bytes
"""

import random
import resource
import sys
import time


def read(path, repetitions):
    import yaml

    if not yaml.__with_libyaml__:
        sys.exit("PyYAML is not built with libyaml: apt-get install python3-yaml")
    with open(path, "rb") as f:
        data = f.read()
    documents = 0
    started = time.perf_counter()
    for _ in range(repetitions):
        documents = len(list(yaml.load_all(data, Loader=yaml.CSafeLoader)))
    seconds = (time.perf_counter() - started) / max(repetitions, 1)
    print("%.6f %d %d" % (seconds, documents, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


WORDS = ("user order item invoice account token session report export import status health search filter page "
         "limit offset created updated deleted owner group team service region zone").split()


def operation(rng, path, method):
    name = "".join(w.capitalize() for w in rng.sample(WORDS, 3))
    lines = [
        "    %s:" % method,
        "      operationId: %s%s" % (method, name),
        "      summary: %s the %s of a %s, with its %s" % tuple([method.capitalize()] + rng.sample(WORDS, 3)),
        "      description: |-",
        "        Returns the %s for the given %s." % tuple(rng.sample(WORDS, 2)),
        "        Rate limited: %d calls a minute." % rng.randint(10, 1000),
        "      tags: [%s, %s]" % tuple(rng.sample(WORDS, 2)),
        "      parameters:",
        "        - name: id",
        "          in: path",
        "          required: true",
        "          schema: {type: integer, minimum: 1, maximum: %d}" % rng.randint(100, 10 ** 9),
        "        - $ref: '#/components/parameters/limit'",
        "      responses:",
        "        '200':",
        "          description: \"The %s, as JSON; \\\"quoted\\\" words and \\u00e9 escapes\"" % rng.choice(WORDS),
        "          content:",
        "            application/json:",
        "              example: {",
        "                \"id\": %d, \"name\": \"%s\"," % (rng.randint(1, 99999), rng.choice(WORDS)),
        "                \"tags\": [\"%s\", \"%s\"], \"score\": %.3f" % (rng.choice(WORDS), rng.choice(WORDS), rng.random()),
        "              }",
        "        '404': *notFound",
        "      x-plain-wrapped: a plain value that a generator",
        "        wrapped onto a second line",
    ]
    return lines


def generate(path, size):
    rng = random.Random(20261207)
    out = ["openapi: 3.0.3", "info:", "  title: Synthetic API", "  version: '1.0'",
           "x-shared:", "  notFound: &notFound", "    description: Not found", "paths:"]
    total = sum(len(line) + 1 for line in out)
    n = 0
    while total < size:
        n += 1
        out.append("  /%s/%d/{id}:" % (rng.choice(WORDS), n))
        total += len(out[-1]) + 1
        for method in ("get", "put", "delete"):
            for line in operation(rng, n, method):
                out.append(line)
                total += len(line) + 1
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "read":
        read(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 4 and sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit(__doc__)
