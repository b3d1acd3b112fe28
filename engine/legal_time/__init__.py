"""Legal time: the platform clock, the Vietnamese working-day calendar and its overrides, legal clocks with
their phases, pauses and milestones, replayed on the dates of the events the law counts from."""
