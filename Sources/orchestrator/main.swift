import Shared

Log.setup(program: "orchestrator")
Log.info("starting")
