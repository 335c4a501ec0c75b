"""Importing this warms the clean stage up (``warm_up``: dateparser's tables, py3langid's model). The clean stage's
child processes start from a forkserver that preloads it (``workers.child``): each new child starts warm, on pages
it shares with the others, and replacing one costs no warm-up."""

from workers.clean import warm_up

warm_up()
