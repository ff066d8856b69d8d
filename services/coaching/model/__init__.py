"""The lap-score model: its documented formula (:mod:`.spec`), builder and runtime."""
