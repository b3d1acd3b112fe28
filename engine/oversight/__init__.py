"""What supervisors see and do: alerts, escalation rules, the monitor's figures, handovers and reminders."""
