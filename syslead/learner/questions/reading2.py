"""Reading 2: the systems innovator (broadcast versus word of mouth, fitting real data, arriving late)."""

from syslead.learner.checks import Question, register

register("02-peak-year", Question(
    kind="whole number",
    digest="e7f6c011776e8db7cd330b54174fd76f7d0216b612387a5ffcfb81e6f0919683",
    hint="look for the highest point of the 'both' curve in the right-hand panel of figure 1, "
         "or run bass_peak(0.03, 0.38) in the scratch cell: the first number is the time of the peak.",
))
register("02-iphone", Question(
    kind="letter",
    options="ABCD",
    digest="df7e70e5021544f4834bbee64a9e3789febc4be81470df629cad6ddb03320a5c",
    hint="in figure 4, how many products sit to the right of the dotted line p = 0.03? "
         "If a low p is normal, can a low p on its own single out a system?",
))
register("02-late-entry", Question(
    kind="letter",
    options="ABCD",
    digest="6b23c0d5f35d1b11f9b683f0b0a617355deb11277d91ae091d399c655b87940d",
    hint="find an entry delay of 8 years and complements of strength 3 in the left-hand map of figure 6 "
         "(people choose only once). What colour is that spot?",
))
register("02-leadbeater", Question(
    kind="letter",
    options="ABCD",
    digest="df7e70e5021544f4834bbee64a9e3789febc4be81470df629cad6ddb03320a5c",
    hint="go back to 'Section 1' and 'Not in this paper' in the reading: two of the options come from "
         "Leadbeater's later work with Winhall (2020).",
))
