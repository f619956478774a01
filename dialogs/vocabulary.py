"""The words people use for services, for how badly and how widely something fails, as lookup tables.

Each service phrase lists alternatives in order of preference: the first whose service ids are all in the
customer's catalogue wins, and where none is, the first one is used (the classifier then says the provider
does not supply it). A customer file can add phrases per service id (``[customers.vocabulary]``).
"""

from __future__ import annotations

import re

Alternatives = tuple[tuple[str, ...], ...]
CALLS: Alternatives = (("inbound_calls", "outbound_calls"), ("inbound_pstn", "outbound_pstn"))
INBOUND: Alternatives = (("inbound_calls",), ("inbound_pstn",))
OUTBOUND: Alternatives = (("outbound_calls",), ("outbound_pstn",))

SERVICE_PHRASES: tuple[tuple[str, Alternatives], ...] = (
    (r"(?:make|receive|place) (?:or|and|nor) (?:make|receive|place)|in (?:or|and) out|inbound (?:or|and) "
     r"outbound|incoming (?:or|and) outgoing", CALLS),
    (r"incoming|inbound|in-bound|receiv\w* (?:any )?(?:external )?calls?|calls? (?:are )?(?:not |n't )?coming in"
     r"|not getting (?:any )?calls|can'?t be (?:called|reached|rung)|callers (?:get|hear|are getting)|rings? out"
     r"|engaged tone|busy tone|main number|\bddi", INBOUND),
    (r"outbound|outgoing|out-going|make (?:any )?(?:external )?calls?|(?:call|dial|ring|phone) (?:out|anyone|"
     r"externally|mobiles?|customers|numbers)|dial(?:l?ing)? out|calling out|call out", OUTBOUND),
    (r"internal calls?|extension to extension|between (?:extensions|desks|us)|call each other|transfers?"
     r"|transferring", (("internal_calls",),)),
    (r"voice ?mails?|voicemial|answer ?phone|greeting|vm box", (("voicemail",),)),
    (r"auto ?attendant|\bivr\b|(?:phone |options |call )?menu|press(?:ing)? \d|out of hours message",
     (("auto_attendant",), ("call_queues",))),
    (r"queues?|hunt ?groups?|ring ?groups?|call groups?|call pick ?up", (("call_queues",), ("contact_centre",))),
    (r"recordings?|record(?:ing)? calls|recorder", (("call_recording",),)),
    (r"contact ?cent(?:re|er)|call ?cent(?:re|er)|agents? (?:can'?t|cannot|aren'?t)",
     (("contact_centre",), ("call_queues",))),
    (r"click ?(?:2|to) ?(?:dial|call)|click2dial|click-to-dial|dial(?:ling)? from (?:the )?crm",
     (("click2dial",),)),
    (r"\bcrm\b|pop-? ?ups?|screen ?pops?|salesforce|dynamics|hubspot|zoho", (("crm_integration",),)),
    (r"caller (?:recognition|id|name)|recogni[sz]\w*|unknown caller", (("call_recognition",),)),
    (r"\be-?mails?\b|mail ?box|outlook|exchange", (("messaging",),)),
    (r"\b999\b|\b112\b|emergency|\belin\b", (("elin",),)),
    (r"directory|\bsync(?:ing|hroni[sz]ation)?\b|address book", (("directory_sync",),)),
    (r"\bsso\b|single sign", (("sso",),)),
    (r"admin (?:portal|centre|center|site)|self[- ]service|\bportal\b", (("admin_portal",),)),
    (r"federat\w*|external (?:teams )?(?:chat|users|organi[sz]ations|companies)", (("federation",),)),
    (r"teams (?:app|client|desktop)|teams (?:won'?t|keeps|crash|is crashing|not loading)",
     (("teams_client",),)),
    (r"\bpbx\b|connector|old (?:phone )?system", (("pbx_connector",),)),
    (r"\bsba\b|survivable|branch appliance", (("sba",),)),
    (r"sip ?trunks?|\btrunks?\b", (("sip_trunk",), ("capacity",))),
    (r"desk ?phones?|handsets?|yealink|polycom|\bpoly\b|headsets?"
     r"|(?:my|his|her|their) (?:desk )?phone\b",
     (("handset",),)),
    (r"cordless|\bdect\b|mobile handsets?", (("cordless_handsets",),)),
    (r"channels?|capacity|concurrent|lines? (?:are )?(?:all )?(?:busy|full)|all lines busy",
     (("capacity",), ("sip_trunk",))),
    (r"choppy|robotic|echo|crackl\w*|breaking up|garbled|distorted|muffled|jitter|one[- ]way audio|audio"
     r"|sound quality|call quality|voice quality|poor quality|hard to (?:hear|understand)|static|hiss",
     (("voice_quality",),)),
    (r"\blag\b|laggy|latency|delay on (?:the )?(?:line|speech|audio)|talking over each other",
     (("latency",), ("voice_quality",))),
    (r"backup|back-up|redundan\w*|fail-? ?over|resilien\w*|secondary (?:link|line|circuit|path)|diverse",
     (("resilience",),)),
    (r"media server", (("media_server",),)),
    (r"everything|whole (?:phone )?system|entire (?:phone )?system|all (?:our )?services|nothing works",
     (("all",),)),
)
"""Phrases → service alternatives. Generic words ("phones", "calls") are in GENERIC, used only when nothing
more specific is named; voice quality and lag fall back to the calls themselves where not in the catalogue."""

WEAK_PHRASES: tuple[tuple[str, Alternatives], ...] = (
    (r"(?:not|n't|never) ring(?:ing)?|rings? out|goes? straight to|going straight to", INBOUND),
)
"""Phrases that name a service only when nothing more specific is named ("the hunt group isn't ringing")."""
GENERIC = re.compile(r"\bphones?\b|\bcalls?\b|\bcalling\b|dial ?tone|\bring(?:ing)?\b|phone lines?|\blines?\b"
                     r"|telephony|\bteams calling\b|\bdial(?:l?ing)?\b")
QUALITY_FALLBACK: dict[str, Alternatives] = {"voice_quality": CALLS, "latency": CALLS}

PARTIAL = (r"some (?:\w+ )?calls|(?:\d+|a few|several|a couple of) times (?:a|an|per) (?:day|hour)"
           r"|some of (?:the|our) calls|calls? (?:sometimes|occasionally)|intermittent\w*|on and off"
           r"|now and (?:then|again)|every so often|the odd call|now and then|some(?:times)? (?:fail|drop)")
DEGRADED = (r"choppy|robotic|echo|crackl\w*|breaking up|garbled|distorted|muffled|jitter|\blag\b|laggy|latency"
            r"|delay\w*|\bslow\w*|sluggish|dropping|\bdrop(?:s|ped)?\b|cut(?:ting|s)? (?:off|out)"
            r"|patchy|flaky|poor|bad (?:quality|audio|line|sound)|one[- ]way audio|hard to (?:hear|understand)"
            r"|can'?t hear (?:them|each other|properly|clearly)|quiet|static|hiss|buzz\w*|tinny|takes ages"
            r"|not (?:always|reliably)|unreliable|degraded")
CANT = r"(?:can'?t|cannot|can not|unable to|not able to|couldn'?t)"
USER_DOWN = (CANT + r" (?:make|receive|place|call|dial|get|ring|phone|log|access|use|connect|reach|send|open|do "
             r"anything|be (?:called|reached)|hear anything|see|transfer|pick up|answer|listen)"
             r"|\b(?:nobody|no one|none of (?:us|them))\b[^,.;]{0,40}?\b(?:can|is able|are able|gets?|getting"
             r"|hears?|receiv\w*|mak\w*)\b"
             r"|no \w+ (?:being |are being |is being )?(?:delivered|received|coming in|going out|getting through)"
             r"|not getting any|(?:isn'?t|aren'?t|not|never|doesn'?t|don'?t|won'?t) ring(?:ing)?\b"
             r"|no (?:incoming |inbound |outbound "
             r"|outgoing |external )?calls|no dial ?tone|no service|none of (?:us|the)|not (?:being )?delivered|nothing"
             r"|won'?t (?:work|connect|ring|load|start|go through)|doesn'?t (?:work|ring)|not (?:coming|going) "
             r"through|engaged tone|busy tone|dead air|rings? out|goes? straight to|not ringing|isn'?t getting")
COMPONENT_DOWN = (r"\bdown\b|\bdead\b|not working|isn'?t working|aren'?t working|stopped|completely|totally"
                  r"|outage|offline|off ?line|broken|\bfail(?:ed|ing|s)?\b|\blost\b|unavailable|not responding")
AT_RISK = (r"backup|back-up|redundan\w*|fail-? ?over|resilien\w*|secondary (?:link|line|circuit|path)"
           r"|single point of failure|only one (?:line|link|circuit)|diverse")
FINE = re.compile(r"\b(?:fine|ok|okay|unaffected|not affected|still work\w*|works?(?: fine| ok)?|working "
                  r"(?:fine|ok|normally)?|alright|all right|normal)\b")

RECURRING = re.compile(r"\bagain\b|keeps? (?:happening|on happening|coming back)|happened (?:before|last)|same "
                       r"(?:problem|issue|fault) as|recurring|reoccur\w*|recur\w*|(?:second|third|2nd|3rd|another) "
                       r"time|every (?:day|morning|week)|repeatedly|back again")
WORKAROUND_YES = re.compile(r"divert(?:ed|ing)? (?:\w+ )?to (?:our |their |the )?mobiles?|using (?:our |their |"
                            r"the )?(?:mobiles?|softphones?|teams app)|\bworkaround\b|work-around|work around it")
WORKAROUND_NO = re.compile(r"no (?:work-? ?around|way round|way around|alternative)")
SECURITY = re.compile(r"hack\w*|toll fraud|\bfraud\w*|breach\w*|compromis\w*|phishing|unauthori[sz]ed"
                      r"|suspicious calls")

TIME_WORDS: dict[str, str] = {
    "this morning": "today 08:00", "first thing": "today 08:00", "since we opened": "today 08:00",
    "lunchtime": "today 12:00", "lunch time": "today 12:00", "since lunch": "today 12:00",
    "this afternoon": "today 13:00", "last night": "yesterday 18:00", "yesterday afternoon": "yesterday 13:00",
    "yesterday morning": "yesterday 08:00", "yesterday evening": "yesterday 18:00",
}
"""Vague start times read as the start of that part of the day, shown to the reporter to correct."""

TYPOS: dict[str, str] = {
    "cant": "can't", "dont": "don't", "isnt": "isn't", "wont": "won't", "arent": "aren't", "doesnt": "doesn't",
    "noone": "no one", "no-one": "no one", "evryone": "everyone", "everyon": "everyone", "every1": "everyone",
    "recieve": "receive", "recieving": "receiving", "recieved": "received", "incomming": "incoming",
    "incomin": "incoming", "comming": "coming", "outgoign": "outgoing", "outgong": "outgoing", "outboud": "outbound",
    "voicmail": "voicemail", "vociemail": "voicemail", "voicemial": "voicemail", "voicemal": "voicemail",
    "phnoes": "phones", "phoens": "phones", "fones": "phones", "calsl": "calls", "clals": "calls",
    "qeues": "queues", "queus": "queues", "ques": "queues", "quees": "queues", "robtic": "robotic",
    "choppey": "choppy", "chopy": "choppy", "ecco": "echo", "eccho": "echo", "wokring": "working",
    "workign": "working", "workin": "working", "droping": "dropping", "dropin": "dropping", "anyoen": "anyone",
    "nobdy": "nobody", "nobodys": "nobody", "emials": "emails", "emials.": "emails", "sice": "since",
    "snice": "since", "mins": "minutes", "min": "minutes", "hrs": "hours", "hr": "hour", "pls": "please",
    "plz": "please", "u": "you", "ppl": "people", "approx": "about", "abt": "about", "hald": "half",
}
FUZZY_WORDS = ("voicemail", "incoming", "inbound", "outbound", "outgoing", "queues", "choppy", "robotic",
               "crackling", "recording", "receive", "receiving", "everyone", "everybody", "nobody", "working",
               "dropping", "internal", "attendant", "emails", "delivered", "redundant", "failover", "backup",
               "yesterday", "morning", "minutes", "broken", "intermittent", "calling", "office", "phones",
               "engaged", "ringing", "extension", "extensions", "headset", "handset", "handsets", "recognition")
"""Words worth correcting by one slip of a key (only words of five letters or more are tried)."""
