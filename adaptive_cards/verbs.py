"""Card action identifiers, shared by the cards that carry them and the router that receives them."""

ACTION_KEY = "faultline"
"""The key in an Action.Submit's data that names the action."""

START_REPORT = "report.start"
INTAKE_FORM = "intake.form"
CONFIRM = "intake.confirm"
CHANGE = "intake.change"
CANCEL = "intake.cancel"
HELP = "help"
MY_TICKETS = "tickets.mine"

ALL = (START_REPORT, INTAKE_FORM, CONFIRM, CHANGE, CANCEL, HELP, MY_TICKETS)

# Ticket verbs (Action.Execute), engineers' then reporters'.
REFRESH = "refresh"
ACKNOWLEDGE = "ticket.acknowledge"
ASSIGN = "ticket.assign"
UPDATE = "ticket.update"
RECLASSIFY = "ticket.reclassify"
HOLD = "ticket.hold"
RESUME = "ticket.resume"
RESTORE = "ticket.restore"
RESOLVE = "ticket.resolve"
REOPEN = "ticket.reopen"
ADD_INFO = "ticket.add_info"
CONFIRM_RESTORATION = "ticket.confirm_restoration"
STILL_BROKEN = "ticket.still_broken"
SNOOZE = "reminder.snooze"
TAKE_OWNERSHIP = "ticket.take_ownership"
