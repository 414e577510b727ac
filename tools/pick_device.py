# @title 选择设备（不必细看：有能用的 NVIDIA GPU 用 CUDA，其次 Apple 的 MPS，否则 CPU）
import re

import torch


def pick_device():
    """CUDA → MPS → CPU。装的 PyTorch 没有这块 NVIDIA GPU 的内核（较旧的显卡）时改用 CPU。"""
    if torch.cuda.is_available():
        major, minor = torch.cuda.get_device_capability()
        for arch in torch.cuda.get_arch_list():
            m = re.fullmatch(r"(sm|compute)_(\d+)(\d)[a-z]?", arch)
            if m is None:
                continue
            built = (int(m.group(2)), int(m.group(3)))
            # sm_XY 的机器码能在主版本相同、次版本不低的卡上运行；compute_XY（PTX）能在更新的卡上即时编译
            if (m.group(1) == "sm" and built[0] == major and built[1] <= minor) or (
                m.group(1) == "compute" and built <= (major, minor)
            ):
                return torch.device("cuda")
        print(
            f"检测到 GPU {torch.cuda.get_device_name()}（计算能力 {major}.{minor}），但安装的 PyTorch "
            f"只带有 {', '.join(torch.cuda.get_arch_list())} 的内核，在这块卡上无法运行；改用 CPU。"
            "想用这块 GPU，见 README 的「较旧的 NVIDIA GPU」。"
        )
        return torch.device("cpu")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
