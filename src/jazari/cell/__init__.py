"""The cell's task: see, inspect, pick, place, report; its KPIs and the in-process runner."""
