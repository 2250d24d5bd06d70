"""IA Santé: one platform for the hospital's clinical AI tools.

Seven systems (``ct``, ``derm``, ``karyotype``, ``lag``, ``drugs``, ``iot``, ``challenge``) stand on a small
shared ``core`` (config, storage, security, jobs) and are served by one web app (``web``) and one CLI (``cli``).
A system never imports another system.
"""

__version__ = "0.1.0"
