"""Labelled after-hours voicemails for the speech benchmark (text known, audio synthesised).

Two sets of 44 messages, each half emergencies and half routine calls:

- `TUNING` (set A): the matcher's rules, the default keywords' sound-alike and
  spotting thresholds were adjusted while looking at these.
- `HELD_OUT` (set B): written at the same time, in other words, and only
  measured; nothing was changed because of a result on it.

Labels. A message is an emergency when the caller reports an urgent problem
happening now that needs a technician tonight: water escaping (leak, burst or
frozen pipe, flooding, overflowing sewage), no heat or no cooling in extreme
weather, no hot water, gas smell, smoke, sparks or burning smell, carbon
monoxide alarm, loss of power. Everything else is routine, including a
message that names a past, fixed problem ("thanks for fixing the leak last
week"): such messages are labelled routine and flagged `past`, because a
keyword matcher that is not tense-aware cannot tell them apart and they are
reported separately. Routine messages deliberately contain near words
(heating estimate, fireplace, power washing, smoke detector installation,
flood light, gas line, fire pit, frozen yogurt).

Numbers are spelled out as a caller says them so that the text is also the
reference for word error rate.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Voicemail:
    """One message: `key` is unique across both sets; `past` marks a routine
    message about a problem already fixed (it names an emergency keyword)."""

    key: str
    text: str
    emergency: bool
    past: bool = False


def _set(
    prefix: str,
    emergencies: tuple[str, ...],
    routine: tuple[str, ...],
    past: frozenset[int] = frozenset(),
) -> tuple[Voicemail, ...]:
    out = [Voicemail(f"{prefix}e{i:02d}", t, True) for i, t in enumerate(emergencies, 1)]
    out += [Voicemail(f"{prefix}r{i:02d}", t, False, i in past) for i, t in enumerate(routine, 1)]
    return tuple(out)


_A_EMERGENCY = (
    "Hi, this is Karen Miller at four twelve Oak Street. Water is leaking through our kitchen "
    "ceiling and it is getting worse. Please call me back as soon as you can at five five five, "
    "two oh one, three three four four.",
    "Hello, it's Dave. Our furnace died tonight and there is no heat in the house. We have two "
    "small kids and it's going to be ten below. Please call me at five five five, eight six "
    "seven, one two hundred.",
    "Yeah, hi. I smell gas in the kitchen near the stove. I turned it off but the smell is still "
    "strong. This is Maria on Elm Court, please call right away.",
    "This is Tom Becker. A pipe burst in the basement and there is water everywhere. I shut the "
    "main valve but we need someone out here tonight.",
    "Hi, the basement is flooding after the storm and the sump pump is not keeping up. This is "
    "Linda at eighty eight River Road, my number is five five five, three hundred, forty four "
    "eleven.",
    "Hello, the outlet in our bedroom is sparking and there is a burning smell. I flipped the "
    "breaker. This is Greg, please call me back tonight.",
    "It's Susan Park. Our carbon monoxide alarm is going off and it won't stop. We are all "
    "outside now. Please send someone.",
    "Hi, this is Ahmed. We have no power in half the house and the panel is making a buzzing "
    "noise. Call me back at five five five, four four two, nine oh eight seven.",
    "Hello, my water heater is leaking all over the garage floor and there is no hot water. "
    "This is Joan Fisher, seventeen Maple Lane.",
    "Hey, this is Mike from the bakery on Main Street. The sewer is backing up into the floor "
    "drain and it smells awful. We open at six, please call.",
    "Hi there, our pipes froze overnight and now the kitchen sink has no water at all. I think "
    "a pipe is frozen in the wall. Please call Brenda at five five five, seven seven one, two "
    "oh two oh.",
    "This is Paul. There is smoke coming out of the furnace vent and a burning smell in the "
    "hallway. We opened the windows. Please call me immediately.",
    "Hi, it's the Johnsons on Cedar Drive. The toilet is overflowing and water is leaking into "
    "the room below. We can't get it to stop.",
    "Hello, our heat is out, the thermostat says fifty two degrees and dropping. My mother is "
    "elderly and she is staying with us. Please call back.",
    "Hi, this is Rosa. The air conditioning stopped working and it's ninety eight degrees in "
    "here. My father has a heart condition. Please come today.",
    "Yes hello, this is Frank at the corner of Fifth and Pine. There is a gas leak, I can hear "
    "hissing at the meter outside. The gas company is on the way but we need a plumber.",
    "Hi, the breaker panel is hot to the touch and I see sparks when I flip the switch. This "
    "is Angela at five five five, nine oh nine, three one three one.",
    "Hi, it's Jerry. The water line to the fridge broke and water is pouring onto the floor. "
    "I can't find the shut off. Please hurry.",
    "Hello, this is Nancy. Sewage is coming up in the basement shower drain. Please call me "
    "back, it is an emergency.",
    "Hi, this is Kevin. The ceiling in the bathroom is dripping and there is a brown stain "
    "spreading. I think a pipe is leaking upstairs. Please call me at five five five, one two "
    "three, eight oh eight oh.",
    "Hello, our furnace is blowing cold air and the house is at forty five degrees. This is "
    "Carol, five five five, two four oh, six seven six seven.",
    "Hi, it's Steve at the dental office. Water is coming through the ceiling tiles in the "
    "waiting room from the unit above. We have patients at eight.",
)

_A_ROUTINE = (
    "Hi, this is Janet Lee. I'd like a quote for a new heating system before winter. No rush, "
    "call me when you can at five five five, three three three, two one two one.",
    "Hello, I'm calling to schedule the annual furnace tune up. Any weekday morning next week "
    "works for us. This is Bill, five five five, four one oh, nine oh nine oh.",
    "Hi, thanks for fixing the leak under the sink last week. Everything is working great. I "
    "just wanted to ask about the invoice, I think we were charged twice.",
    "Hey, this is Rick. We are thinking about a gas fireplace insert for the living room. Could "
    "someone come out for an estimate?",
    "Hello, could you give me a price for power washing the deck and the driveway? This is "
    "Helen, five five five, six hundred, seven eight seven eight.",
    "Hi, I need three smoke detectors and one carbon monoxide detector installed in the new "
    "addition. Call Mark at five five five, two two two, four five four five.",
    "Hi, this is Olivia. I'd like to get two flood lights installed over the garage. Whenever "
    "you have time is fine.",
    "Hello, I'm returning your call about the water heater replacement. Thursday afternoon "
    "works. This is Sam.",
    "Hi, my name is George. I'm remodeling the bathroom and I need a plumber to move the drain "
    "and add a new shower valve. Please call me for a quote.",
    "Hi, just calling to pay my bill. Can someone call me back to take a card payment? This is "
    "Diane, account ending in four four seven one.",
    "Hello, this is Ray from Ace Supply. Your order of copper fittings and pipe is ready for "
    "pickup at the counter.",
    "Hi, we are selling our house and the inspector recommended a sewer line camera "
    "inspection. Could we schedule that for next week?",
    "Hi, it's Pam. The technician who came out yesterday was great. I'd like to book him again "
    "to install a ceiling fan in the bedroom.",
    "Hello, I'd like to ask about a maintenance plan for my air conditioning before summer. "
    "This is Victor, five five five, eight one eight, two three two three.",
    "Hi, this is Joe. The kitchen faucet drips a little at night. It's not urgent, whenever "
    "you are in the area.",
    "Hey, this is Carla. Could you send me the warranty paperwork for the heat pump you "
    "installed in March? My email is carla at example dot com.",
    "Hello, I'm calling about your fire sprinkler inspection service for our office building. "
    "Please call Ted at five five five, three one three, four eight four eight.",
    "Hi, this is Laura. We would like an estimate to finish the basement, including new "
    "outlets and lighting.",
    "Hello, I'm calling to reschedule tomorrow's appointment to Friday morning if possible. "
    "This is Mister Grant on Birch Street.",
    "Hi, I'm calling about the gas line for our new stove. We want it run from the basement to "
    "the kitchen. Can you give us a quote?",
    "Hi, this is Beth. Our hot water is fine now after you relit the pilot, thanks. Just "
    "letting you know you don't need to come back.",
    "Good morning, this is the property manager at Lakeview Apartments. We need quotes for "
    "replacing twelve thermostats before the heating season.",
)

_B_EMERGENCY = (
    "Hi, this is Gloria Sanchez on Willow Avenue. There is water dripping from the light "
    "fixture in the hallway and the ceiling is sagging. Please call me back right away at five "
    "five five, four one four, two two nine nine.",
    "Hey, it's Marcus. The heater quit on us tonight and the house is freezing. Can somebody "
    "come out first thing? Five five five, six five oh, one eight one eight.",
    "Hello, this is Dorothy. There is a strong smell of gas in the basement near the furnace. "
    "I opened the windows. Please call back as soon as possible.",
    "Hi, a water pipe just split under the kitchen sink and it's spraying everywhere. I've got "
    "towels down but I can't find the valve. This is Eddie, five five five, two three one, "
    "seven oh oh one.",
    "This is Priya on Lakeshore Drive. The basement flooded overnight, there is about two "
    "inches of water down there. Please send someone today.",
    "Hello, the lights keep flickering and now one of the outlets is scorched and smells like "
    "burning plastic. This is Walter, please call.",
    "Hi, it's Monica. Our detector started beeping and the screen says carbon monoxide. We "
    "are all out of the house. Please call me at five five five, seven four four, one two "
    "hundred.",
    "Hi, this is Leon at the Quick Mart on Route nine. We lost power to the coolers and all the "
    "food is going to spoil. We need an electrician now.",
    "Hello, our water heater burst and the laundry room is flooded. This is Irene, five five "
    "five, three eight nine, oh four oh four.",
    "Hi, this is Hank. The toilets and the tub are all backing up with sewage. It's coming up "
    "through the drains. Please help.",
    "Hi, the pipes under the house froze and burst last night. We have water coming up "
    "through the floor. This is Shirley at five five five, two one two, six five six five.",
    "Hi, it's Carlos. There is smoke coming from the electrical panel in the garage. I turned "
    "off the main breaker. Please call me right back.",
    "Hello, this is Ruth Adams. The furnace won't turn on and it's forty degrees in the house. "
    "I'm eighty one years old. Please call me.",
    "Hi, this is Victor's Restaurant. The gas smell by the kitchen line is really strong "
    "tonight. We shut the burners off. Please send someone.",
    "Hey, it's Nina. The washing machine hose popped off and water is all over the floor and "
    "going into the basement. Please call me back.",
    "Hi, we have no hot water at all and the water heater is making a loud banging noise. This "
    "is Oscar, five five five, nine oh two, three four three four.",
    "Hello, this is Beverly. The air conditioner isn't working and it's a hundred and two "
    "outside. We have a newborn. Please call back today.",
    "Hi, it's Dan at nineteen Spruce Street. There are sparks coming from the light switch in "
    "the kitchen every time I touch it. Please call.",
    "Hi, this is Teresa. The sump pump died and the basement is taking on water fast with all "
    "this rain. Please call five five five, eight seven eight, five one five one.",
    "Hello, we've got no heat at the church and the pipes are starting to freeze. This is "
    "Pastor Jim, please call as soon as you can.",
    "Hi, there is a leak in the roof right over the bedroom and water comes in every time it "
    "rains hard. It is raining now. This is Alan.",
    "Hi, this is Wendy. The main water line outside is broken and water is bubbling up in the "
    "yard. We had to shut off the water to the house.",
)

_B_ROUTINE = (
    "Hi, this is Frances. I'd like an estimate for a new heating and cooling system for our "
    "addition. Call me at five five five, six one six, oh eight oh eight.",
    "Hello, it's Roger. Just confirming our appointment on Tuesday at ten for the drain cleaning.",
    "Hi, this is Megan. The leak you fixed last month hasn't come back, so we are all set. "
    "Could you email the receipt please?",
    "Hey, I'm interested in getting the chimney and fireplace inspected before we use it this "
    "winter. This is Tony.",
    "Hi, can someone come power wash the siding on our house next month? This is Claire at "
    "five five five, seven two seven, one four one four.",
    "Hello, this is Martin. We need new smoke alarms and a carbon monoxide detector installed "
    "in the rental unit before the tenant moves in.",
    "Hi, this is Yvonne. I'd like a quote on landscape lighting and a motion flood light by "
    "the back door.",
    "Hi, this is Greg from Summit Realty. Could you do a gas line pressure test for a closing "
    "next Friday?",
    "Hello, I saw your truck in the neighborhood. Do you do water softener installs? Please "
    "call Harold at five five five, five oh five, three oh three oh.",
    "Hi, this is Kim. Your invoice says two hours of labor but the tech was here for one hour. "
    "Can someone look into it?",
    "Hello, this is Lisa. We are planning to replace our old electric panel with a two hundred "
    "amp service. What would that cost?",
    "Hi, I need someone to hang a ceiling fan and swap a few light switches. No rush at all. "
    "This is Derek.",
    "Hi, I'm calling to cancel the maintenance visit on Monday. We will reschedule after the "
    "holidays. Thanks, Patricia.",
    "Hello, this is Arthur. We want to convert our oil furnace to natural gas. Could you come "
    "out and give us some options?",
    "Hi, it's Jenny. The heat is working perfectly since your visit. I wanted to leave a nice "
    "review, what is the website?",
    "Hi, this is Brian with the school district. We would like a bid on replacing the boiler "
    "at the elementary school next summer.",
    "Hello, I have a question about the fire pit gas hookup on our patio. Is that something "
    "you do? This is Lou.",
    "Hi, this is Sandra. We are getting a new dishwasher delivered Saturday and need it hooked "
    "up to the water and the drain.",
    "Hi, it's Phil. Can you tell me if my warranty covers the thermostat? It has been reading "
    "two degrees high.",
    "Hello, this is Ellen. We would like to add an outdoor outlet and a dedicated circuit for a "
    "hot tub. Please send an estimate.",
    "Hi, this is Victor. I'm calling about the frozen yogurt machine at our shop, it needs a "
    "new water line. No rush.",
    "Good afternoon, I'm calling from the city about the backflow test report for your "
    "customer on Hill Street. It is due at the end of the month.",
)

TUNING: tuple[Voicemail, ...] = _set("a", _A_EMERGENCY, _A_ROUTINE, past=frozenset({3}))
HELD_OUT: tuple[Voicemail, ...] = _set("b", _B_EMERGENCY, _B_ROUTINE, past=frozenset({3}))
SETS: dict[str, tuple[Voicemail, ...]] = {"A": TUNING, "B": HELD_OUT}
