// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @title PlainERC721
/// @notice Benchmark-only: OpenZeppelin's ERC721 as it comes, the baseline LuxuryCertificate is measured against.
contract PlainERC721 is ERC721 {
    constructor() ERC721("plain", "PLAIN") {}

    /// @notice Mints with `_safeMint`, no access control (benchmark only).
    function mint(address to, uint256 tokenId) external {
        _safeMint(to, tokenId);
    }

    /// @notice Mints many with `_safeMint` (benchmark only).
    function mintBatch(address to, uint256 firstId, uint256 count) external {
        for (uint256 i = 0; i < count; ++i) {
            _safeMint(to, firstId + i);
        }
    }
}
