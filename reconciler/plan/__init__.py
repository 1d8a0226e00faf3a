"""desired + facts -> Plan: the model (``model``), the ordering (``planner``), one module per resource."""
