"""Renderers: a report as text for people (terminal, markdown for GitHub, HTML).

``view.py`` decides what a report says; each format module only lays it out. Pure: nothing
here imports pytest or does I/O.
"""
