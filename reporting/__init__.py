"""Figures and tables from kept results and trained runs: the shared toolkit (toolkit),
the original's figures (plots), the ball tables (tables), the 2D-shapes figures and tables
(shapes_figures), two sweeps side by side (recipe_table), the figure scripts' common flags
(figure_cli) and the figure scripts beyond the original's three, run as
`python -m reporting.<name>`."""
