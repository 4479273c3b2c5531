// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";

/// @title ERC721ReceiverMock
/// @notice Test-only: a contract that accepts ERC-721 tokens, or refuses them.
contract ERC721ReceiverMock is IERC721Receiver {
    bool public immutable accepts;

    constructor(bool accept) {
        accepts = accept;
    }

    /// @inheritdoc IERC721Receiver
    function onERC721Received(address, address, uint256, bytes calldata) external view returns (bytes4) {
        return accepts ? IERC721Receiver.onERC721Received.selector : bytes4(0xdeadbeef);
    }
}
