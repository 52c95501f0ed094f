#!/usr/bin/env python3
"""Sets or removes keys of a Hugging Face folder's config.json.

  edit_config.py FOLDER KEY=JSON... [-KEY...]

`KEY=JSON` sets KEY to the JSON value (e.g. 'rope_scaling={"rope_type":
"llama3", "factor": 8}'); `-KEY` removes KEY.
"""
import json
import os
import sys


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = os.path.join(argv[0], "config.json")
    with open(path) as f:
        config = json.load(f)
    for edit in argv[1:]:
        if edit.startswith("-"):
            config.pop(edit[1:], None)
        else:
            key, _, value = edit.partition("=")
            config[key] = json.loads(value)
    with open(path, "w") as f:
        json.dump(config, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
