"""Reading 3: from hero to host (queues, thresholds and cascades)."""

from syslead.learner.checks import Question, register

register("03-hero-wait", Question(
    kind="whole number",
    digest="ef2d127de37b942baad06145e54b0c619a1f22327b2ebbcfbec78f5564afe39d",
    hint="one person deciding everything is an M/M/1 queue: the mean time in the system is "
         "1 / (service rate - arrival rate). Here that is 1 / (1 - 0.8) days.",
))
register("03-crowd", Question(
    kind="whole number",
    digest="4b227777d4dd1fc61c6f884f48641d02b4d121d3fd328cb08b5531fcacdabf8a",
    hint="go round by round: the person with threshold 0 starts; then everyone whose threshold is at most "
         "the number who have joined so far joins. Stop at the first round where nobody new joins.",
))
register("03-window", Question(
    kind="letter",
    options="ABCD",
    digest="df7e70e5021544f4834bbee64a9e3789febc4be81470df629cad6ddb03320a5c",
    hint="look at figure 5: too few contacts leave islands, too many mean one neighbour is never enough. "
         "Which value sits in the middle of the shaded window?",
))
register("03-beliefs", Question(
    kind="letter",
    options="ABCD",
    digest="6b23c0d5f35d1b11f9b683f0b0a617355deb11277d91ae091d399c655b87940d",
    hint="go back to 'Three beliefs behind it': two of the options are the hosts' alternative, "
         "and one is from the companion essay on emergence.",
))
