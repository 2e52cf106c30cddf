"""Motion control: drive buses (serial Dynamixel Protocol 2.0, EtherCAT CiA 402),
trajectory following and the safety supervisor in front of every motion."""
