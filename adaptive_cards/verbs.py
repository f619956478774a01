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
