"""Every report definition, imported once when the app loads so that each registers itself.

One plain import per report: adding one is adding a line.
"""

import reports.alignment
import reports.shadow_ops
