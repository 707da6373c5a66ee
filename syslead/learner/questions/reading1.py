"""Reading 1: systems leadership (hierarchical versus viral spread)."""

from syslead.learner.checks import Question, register

register("01-levels", Question(
    kind="whole number",
    digest="4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce",
    hint="at step 0 only the top knows; each step the message goes down one level. "
         "How many levels below the top does it take to hold 1,000 people with 10 reports each?",
))
register("01-absence", Question(
    kind="letter",
    options="ABCD",
    digest="df7e70e5021544f4834bbee64a9e3789febc4be81470df629cad6ddb03320a5c",
    hint="in an organisation chart each person hears from one manager only. "
         "In a network, how many routes lead to a typical person?",
))
register("01-thinkpiece", Question(
    kind="letter",
    options="ABCD",
    digest="559aead08264d5795d3909718cdd05abd49572e84fe55590eef31a88a08fdffd",
    hint="go back to 'What the thinkpiece itself says', point 3: what do the three ways of leading stop "
         "assuming about where power and authority sit?",
))
