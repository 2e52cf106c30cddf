"""Quality inspection: each detected part judged against the parts catalogue.

:class:`jazari.quality.inspector.Inspector` identifies a detection's part type and
checks its dimensions against the tolerance, its colour against the colour tolerance in
CIELAB (ΔE*ab, CIE 1976, as the catalogue defines it; CIEDE2000 selectable), and its
top face for surface marks. The :class:`jazari.quality.verdict.Verdict` lists every
check with the measured value, the limit and by how much it was exceeded.
"""
