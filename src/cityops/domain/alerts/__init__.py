"""Alerts from sensors, cameras and devices (物联感知): device kinds, event schemas, rules as
data, dedup and flap suppression, the testing-site monitor, webhook signatures. Pure: every
function takes ``now`` (or the event's own time) as an argument."""
