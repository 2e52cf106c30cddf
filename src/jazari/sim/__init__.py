"""The digital twin: MuJoCo model of the cell, and emulators of the drives (serial
servos on a pseudo-terminal, EtherCAT slaves on a veth pair)."""
