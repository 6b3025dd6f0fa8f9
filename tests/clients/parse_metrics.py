"""Parses a /metrics answer with Prometheus's own text-format parser (prometheus_client.parser)
and prints it as JSON: {"types": {family: type}, "samples": [[name, labels, value], ...]}.
A text the parser refuses fails the script (and so the test)."""

import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families

with open(sys.argv[1], encoding="utf-8") as f:
    text = f.read()
types = {}
samples = []
for family in text_string_to_metric_families(text):
    types[family.name] = family.type
    for s in family.samples:
        value = None if math.isnan(s.value) else s.value
        samples.append([s.name, s.labels, value])
print(json.dumps({"types": types, "samples": samples}))
