"""The Teams bot service, in rooms: `edge` (HTTP checks, authentication, the wire format, the Bot Connector),
`rules` (pure ticket rules: verbs, visibility, commands and routing, timer planning, impact, report requests),
`services` (the turn handler and the ticket work joining the rules to storage and the outbox), `store` (database),
`reminders` (timers, the outbox's sender, escalation), `board` (the SLA board tab); `app.create_app` wires them.
"""
