"""The EtherCAT drive bus: CiA 402 drives in cyclic synchronous position mode over SOEM
(``pysoem``). Importing this package does not import pysoem; :mod:`.bus` does."""
