"""Local accounts: users, password hashes, sign-in and lock-out."""
