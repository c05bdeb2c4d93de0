"""The RFC 1123 label rule Kubernetes applies to namespace names (and benchkit to run ids and run names).

k8s.io/apimachinery `pkg/util/validation/validation.go`: `dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"`
and `DNS1123LabelMaxLength = 63` (read in a stored, untagged copy; the rule has not changed across releases).
Kept apart from everything else so that checking a name imports nothing else (the twin's start-up is one user).
"""

from __future__ import annotations

import re

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_LABEL_MAX = 63
