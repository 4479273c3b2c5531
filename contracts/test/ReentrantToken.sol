// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken
/// @notice Test only: on every transfer out of `target`, calls `target` again with `payload` (a second release,
/// a refund...), to prove the escrow's reentrancy guard. Records whether the reentry succeeded.
contract ReentrantToken is ERC20 {
    address public target;
    bytes public payload;
    bool public reentered;
    bool public reentrySucceeded;

    constructor() ERC20("Evil", "EVIL") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    // slither-disable-next-line missing-zero-check -- test mock: the zero address disarms it (see _update)
    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (from == target && target != address(0) && !reentered) {
            reentered = true;
            // slither-disable-next-line low-level-calls -- test mock: the raw reentrant call is its purpose
            (reentrySucceeded, ) = target.call(payload);
        }
    }
}
