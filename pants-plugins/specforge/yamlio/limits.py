"""The limits every YAML document is held to (see the package docstring)."""

from __future__ import annotations

import math

#
# Chosen by measurement (`tests/bench/yaml_bench.py`): any text of up to `MAX_DOCUMENT_BYTES` is
# loaded or refused in about a second and well under 300 MB. `MAX_NODES` also bounds what the
# engine does with the nodes: its slowest case at that size (an error for every node, 1 MiB of
# duplicate enum values) takes 2 to 4 s and 110 MB in `check` on a loaded 2-core machine. Real
# specs hold a node per 8 to 18 bytes (the 800 models of a 200-service workload: 490 KB, 54,000
# nodes), so a file of ordinary specs reaches the size limit before the node limit.

#: A larger text is refused with one error at 1:1, without being parsed.
MAX_DOCUMENT_BYTES = 1 << 20
#: Lists and mappings nest at most this deep (a spec needs fewer than 10 levels).
MAX_DEPTH = 64
#: The most nodes (keys, values, list items, lists and mappings) one document may hold, counting
#: every alias as the nodes of the subtree it stands for, and every `SCALAR_CHARS_PER_NODE`
#: characters of a scalar as one more node (so that aliasing a long string is not free).
MAX_NODES = 120_000
SCALAR_CHARS_PER_NODE = 64
#: YAML limits implicit keys to 1024 characters; explicit (`? key`) ones are held to it too.
MAX_KEY_CHARS = 1024
#: Integers take at most this many decimal digits (Python's own limit for converting them).
MAX_INT_DIGITS = 4300
#: After this many errors in one document the loader stops looking for more.
MAX_ERRORS = 50

_MAX_INT_BITS = int(MAX_INT_DIGITS * math.log2(10))  # fewer bits always print in the limit
_CORE = "tag:yaml.org,2002:"
