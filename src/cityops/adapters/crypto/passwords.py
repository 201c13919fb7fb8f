"""Password hashing with Argon2id (argon2-cffi)."""
from __future__ import annotations

from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Hasher:
    def __init__(self, time_cost: int = 2, memory_cost: int = 19 * 1024, parallelism: int = 1):
        # OWASP's minimum Argon2id profile: 19 MiB, 2 iterations, 1 lane.
        self._h = _Argon2(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)

    def hash(self, password: str) -> str:
        return self._h.hash(password)

    def verify(self, hashed: str, password: str) -> bool:
        try:
            return self._h.verify(hashed, password)
        except (VerificationError, InvalidHashError):
            return False
