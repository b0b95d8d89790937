"""Labelled after-hours voicemails for the speech benchmark (text known, audio synthesised).

Three sets of 44 messages, each half emergencies and half routine calls:

- `TUNING` (set A): the matcher's rules, the default keywords' sound-alike and
  spotting thresholds were adjusted while looking at these.
- `HELD_OUT` (set B): written at the same time, in other words, and only
  measured; nothing was changed because of a result on it.
- `FRESH` (set C): written later, independently of A and B, by someone who had
  not seen the detector's keywords or rules, with indirect wordings and near
  misses; only measured.

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

_C_EMERGENCY = (
    "Water heater in the hall closet is dumping water out the bottom, the carpet's soaked "
    "already. Rob, five five five, oh one nine, four four seven two.",
    "Hello, this is Edna Kowalski, I live alone on Birchwood Terrace. The radiators have gone "
    "stone cold since supper and I can see my breath in the parlor. They say it's going down to "
    "zero tonight. I don't know who else to call. My number is five five five, two seven two, "
    "eight one one six. Thank you, dear.",
    "Oh my gosh, hi, um, there's this really strong rotten egg odor coming from the laundry "
    "room where the dryer hooks up, and my head is starting to hurt. I got the kids out on the "
    "porch. Somebody call me, it's Tasha, five five five, six oh three, nine nine two one.",
    "Hi, this is Luis, kitchen manager at Bella Notte on Harbor Street. The grease trap and the "
    "floor drains are coming up all over the kitchen, black water, smells like a septic tank. "
    "We're in the middle of dinner service and we might have to close. Send somebody tonight.",
    "Yeah, this is Phil Oyelaran, I own the fourplex at two ten Garfield. Tenant in unit one "
    "says water is raining down out of her bathroom fan from the apartment upstairs and nobody's "
    "home up there. I'm heading over now. Need a plumber tonight. Five five five, four eight oh, "
    "three two six six.",
    "Hi, a bunch of my outlets just went dead and the ones that still work feel warm, and "
    "there's a smell like a hot iron coming from the panel in the hall. I'm scared to touch "
    "anything. This is Courtney Albright, twenty two Foxglove Lane.",
    "Hi, this is Desmond. The AC quit putting out cold air this afternoon, the thermometer on "
    "the porch says one hundred nine and it's already eighty nine inside and climbing. My wife "
    "is on oxygen and she's getting dizzy. Can anyone come out tonight? Five five five, three "
    "one oh, seven seven five eight.",
    "Pipe let go in the crawl space, I can hear it gushing. Barry, on Ninth Street. Five five "
    "five, two two eight, oh oh four one.",
    "Hello? Yes, this is Mister Chen at the dry cleaner on Market. One of the big ceiling "
    "lights popped and now there's a haze and a melted plastic smell up above the ceiling. We "
    "switched everything off at the wall. We need someone tonight, please.",
    "Hi, this is Gail on Summit Ridge Road. With this storm, water is running down the inside "
    "of the chimney wall and puddling around the wood stove, and the wet spot keeps growing. "
    "I've got every pot in the house out. Five five five, nine one seven, two oh six three.",
    "Hi, uh, it's Trevor. Woke up and nothing comes out of any tap, not a drop, and it was minus "
    "fifteen last night. The pipe that comes up through the garage wall has frost all over it. "
    "I'm worried it's going to split. Five five five, six six one, four oh three oh.",
    "Hi, this is Ben Whitaker. The alarm down by the boiler keeps going off, four quick beeps "
    "then quiet, and my wife and I both have pounding headaches and feel sick to our stomachs. "
    "I think it's fumes from the boiler. We're sitting out in the car with the dog. Five five "
    "five, seven oh two, one one eight nine.",
    "Good evening, this is Renee, night supervisor at Maple Grove assisted living. The east "
    "wing has lost electricity, the hallway lights and the residents' call buttons are all out, "
    "but the street still has power and the generator didn't kick on. We need an electrician "
    "here as soon as humanly possible. Front desk is five five five, two oh oh, eight four "
    "eight four.",
    "Hey, it's Omar at the Sunrise Diner. Our booster heater went out and the dish machine is "
    "running cold, there's zero hot water anywhere in the kitchen and the health inspector won't "
    "let us open like that. We open at five in the morning. Call me.",
    "Hi there, sorry to call so late, this is Marjorie Templeton at forty one Hollis Avenue. I "
    "went down to switch the laundry and the whole basement floor is under water, it's over my "
    "slippers, and it's coming in around the bottom of the wall by the pump pit. I can hear the "
    "pump running but it isn't doing anything. My husband is away so it's just me. Could "
    "someone come tonight? Five five five, four three six, one nine nine two.",
    "This is Dale with Northside Property Management. Tenants at the Hawthorne building are "
    "reporting a strong natural gas odor in the stairwell, and I've evacuated the second floor. "
    "The utility has been called. We need your gas tech on site tonight. Five five five, eight "
    "two two, three oh one seven.",
    "Hi, it's Jolene. Every time the dryer kicks on the lights dim way down, and just now "
    "there was a pop and a flash behind the dryer and it smells like burnt hair. I unplugged "
    "it. Can somebody get here tonight?",
    "Yes, hello, my name is Herbert Lindqvist, I'm eighty four. The toilet and the bathtub are "
    "both filling up with filthy water from underneath and it's spreading into the hall carpet. "
    "I can't bend down to do anything about it. Five five five, one four seven, six six oh two.",
    "Hi, the heat pump is running but it's only pushing out cold air, and the backup heat "
    "isn't kicking in either. It's eight degrees outside and forty nine in the baby's room. "
    "This is Kayla, five five five, three nine four, seven two oh five.",
    "Hey, Jamal here, the corner house on Lincoln and Third. Water is shooting out of the meter "
    "box by the sidewalk like a fountain and running into my basement window. I can't shut it "
    "off, the key won't fit. Call me back quick, five five five, six two one, oh nine four "
    "seven.",
    "Hi, this is Lorraine Dubois. Everything in the house just went black, the neighbors still "
    "have their lights on, and I reset the breakers and nothing happened. My son sleeps on a "
    "breathing machine and the battery only lasts a few hours. Five five five, seven eight one, "
    "oh three three nine.",
    "Hi, it's Patrick at the hardware store on Garrison Street. The flat roof is letting water "
    "in over the paint aisle, it's coming through in three places and the soaked ceiling panels "
    "are starting to fall. Can you get someone here tonight?",
)

_C_ROUTINE = (
    "Hi, this is Norma. The water heater you put in after the old one flooded the garage back "
    "in January is doing great. I'd like the same crew to look at our water softener sometime "
    "next month.",
    "Hello, Gordon Pike calling. We're looking at replacing our central air before next summer, "
    "the unit is twenty two years old. Could someone come out and measure for a quote? Evenings "
    "are better. Five five five, nine four oh, two six one one.",
    "Hi, the smoke alarm in the upstairs hallway keeps chirping every minute or so. I think it "
    "just needs a battery but it's hard wired and I can't reach it. Anytime this week is fine. "
    "This is Ida.",
    "Hey, it's Curtis. Your guy cleared the sewer backup for us on Saturday night, and I just "
    "want to say thanks, he saved our basement. Does the camera footage show any roots? We're "
    "thinking about replacing the line.",
    "Hi, this is Rhonda Maddox, I manage three rentals on Pearl Street. I need the yearly gas "
    "appliance safety checks done before the new leases start on the first. Can you give me a "
    "price for all three houses?",
    "Calling to get on the schedule for a dryer vent cleaning. Stan, five five five, one oh "
    "six, two two one four.",
    "Hello, this is Dolores Abernathy on Chestnut Hill. My grandson says my furnace filter "
    "should be changed and I'm not sure how to do it myself, and the thermostat buttons are so "
    "small I can't read them anymore. The house is warm, nothing's wrong, I would just like "
    "someone to come by one of these days and show me. Call anytime before eight, five five "
    "five, three five two, oh seven seven four.",
    "Hi, this is Keith. We're in a flood zone and the insurance company wants us to put in a "
    "backwater valve and a battery backup for the sump pump. Could you send me a quote so I can "
    "pass it along to them?",
    "Hi, this is Tamara with Greenleaf Landscaping. We need a couple of exterior outlets with "
    "power run out to a new pergola at a client's house on Ridgeview. Call me to set up a walk "
    "through.",
    "Hello, this is Elliot. Since you replaced that sparking outlet last Tuesday everything has "
    "been fine, but my wife would like the rest of the outlets in that bedroom checked too, just "
    "for peace of mind. Whenever you've got an opening.",
    "Hi, it's Francesca at Trattoria Lucca. We're adding a second walk in cooler and we need a "
    "plumber and an electrician to quote the drain and the dedicated circuit. We're closed "
    "Mondays, so that's the best day to come look.",
    "Hi, this is Nate. The breaker for the garage trips sometimes when I run the table saw and "
    "the shop vac together. It resets fine and everything else works. I'm wondering if I should "
    "get a bigger circuit out there.",
    "Hi, it's Beatrice Holloway. The gas company came out and tightened the fitting behind the "
    "stove, and the smell hasn't come back, so please take us off tomorrow's schedule. Thank you "
    "so much.",
    "Hey, Lucas here. Looking for a price on a wall mounted electric heater for the sunroom, it "
    "gets a little chilly out there in the evenings. Five five five, eight oh eight, four one "
    "two seven.",
    "Hi, this is Shelby. We're going away for two weeks over Christmas and I'm nervous about the "
    "pipes in the crawl space freezing while we're gone. Could somebody come wrap them or add "
    "heat tape before the twentieth?",
    "Hello, the water pressure in the upstairs shower has been kind of weak for a few months "
    "now. I'd just like someone to take a look next time you're nearby. This is Howard, five "
    "five five, two six nine, five five three eight.",
    "Hi, this is Agnes from the accounts office at Riverside Condominiums. We received two "
    "invoices with the same number for the boiler work in October. Could someone from billing "
    "call me back during business hours?",
    "Hi, it's Dominic. The roof patch your crew did over the bedroom held up through all that "
    "rain this weekend, not a drop came in. I'd like to go ahead with the full replacement you "
    "quoted, so call me to set a date.",
    "Hello, my name is Andre Fontaine. I'm a licensed journeyman electrician and I saw your ad "
    "for a service tech. I'd love to come in for an interview. You can reach me at five five "
    "five, four seven three, one two eight eight.",
    "Hi, this is Wes. After the last ice storm we were without power for three days, so we'd "
    "like a standby generator put in with a transfer switch. What kind of timeline are you "
    "looking at?",
    "Hi, this is Rosalind. Someone told me I should be flushing the sediment out of my water "
    "heater once a year. Is that a service you offer, and about how much would it run?",
    "Hi, it's Lenny, just returning Sheila's call about Thursday's estimate. Talk soon.",
)

TUNING: tuple[Voicemail, ...] = _set("a", _A_EMERGENCY, _A_ROUTINE, past=frozenset({3}))
HELD_OUT: tuple[Voicemail, ...] = _set("b", _B_EMERGENCY, _B_ROUTINE, past=frozenset({3}))
FRESH: tuple[Voicemail, ...] = _set(
    "c", _C_EMERGENCY, _C_ROUTINE, past=frozenset({1, 4, 10, 13, 18, 20})
)
SETS: dict[str, tuple[Voicemail, ...]] = {"A": TUNING, "B": HELD_OUT, "C": FRESH}
