"""The RFC 1123 label rule Kubernetes applies to namespace names (and benchkit to run ids and run names).

kubernetes/apimachinery v0.31.0, v0.32.0 and v0.33.0 (the staging mirror of kubernetes/kubernetes 1.31 to 1.33)
`pkg/util/validation/validation.go`: `dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"` and
`DNS1123LabelMaxLength = 63`, the same at the three tags; namespaces use it through `pkg/api/validation/generic.go`
(`ValidateNamespaceName = NameIsDNSLabel`, which calls `IsDNS1123Label`).
Kept apart from everything else so that checking a name imports nothing else (the twin's start-up is one user).
"""

from __future__ import annotations

import re

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_LABEL_MAX = 63
