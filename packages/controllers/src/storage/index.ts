// Storage controllers (PV/PVC binder, CSI provisioner): being built (issues 5/6).
export {};
