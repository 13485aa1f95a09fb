import VPPCore
