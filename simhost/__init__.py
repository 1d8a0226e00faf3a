"""rtkdump-simhost: a simulated RHEL for Real Time 7/8/9 host for testing rtkdump.

See simhost/README.md.  The simulator shares no code with the reconciler but the kdump.conf rule table
(reconciler.rules.kdumpctl).
"""
