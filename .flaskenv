# Read by the `flask` command (python-dotenv): `flask …` works from the project root as the
# README writes it. Settings belong in the environment, not here.
FLASK_APP=portal
