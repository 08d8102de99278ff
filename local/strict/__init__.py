"""The strict account: AWS's rules kept in front of moto, in moto's process (see core.py)."""
