import VPPCore
import VPPStore
import CClp
/// Storage dispatch LP (issue 5): `DispatchModel` (formulation), `ClpSolver` (CLP binding),
/// `Evaluation` (breakdown, baselines), `PlanChecker` (invariants), `MPSWriter`, `DispatchRunner` (MPC runs).
public enum DispatcherModule {
    /// CLP library version string, proves the binding links.
    public static var clpVersion: String { String(cString: Clp_Version()) }
}
