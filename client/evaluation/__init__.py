"""``racing-coach eval``: the judge of coaching quality.

Simulated sessions with injected mistakes (:mod:`.scenarios`) are replayed through a running
mesh (:mod:`.runner`); the analysis and report of every lap are compared with the simulator's
truth (:mod:`.matching`, :mod:`.judge`) and the metrics are printed (:mod:`.report`).
"""
