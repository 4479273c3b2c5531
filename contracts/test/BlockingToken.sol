// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title BlockingToken
/// @notice Test only: a token with a blocklist (as USDC's): a transfer to a blocked address reverts, so a payment
/// leg towards it cannot go through (the DvP settlement's refund to a blocked funder).
contract BlockingToken is ERC20 {
    error Blocked(address account);

    mapping(address account => bool) public blocked;

    constructor() ERC20("Blocking", "BLK") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function setBlocked(address account, bool isBlocked) external {
        blocked[account] = isBlocked;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[to]) revert Blocked(to);
        super._update(from, to, value);
    }
}
